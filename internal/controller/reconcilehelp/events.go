package reconcilehelp

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// Events emits the Events of one controller. Reasons are the constants of
// api/v1alpha1 (events.go, conditions.go); a message is written as it is,
// never read as a format, so a '%' in an error or a name cannot garble it.
// The zero value, or a nil Recorder, drops Events: tests and tools that
// run a reconciler without a recorder need not provide one.
type Events struct {
	// Recorder sends the Events; nil drops them.
	Recorder events.EventRecorder
	// Action is the Event's action ("Reconcile", "Promote") unless a
	// call names another.
	Action string
}

// Normal emits a Normal Event about obj.
func (e Events) Normal(obj runtime.Object, reason, message string) {
	e.emit(obj, nil, corev1.EventTypeNormal, reason, e.Action, message)
}

// Warning emits a Warning Event about obj.
func (e Events) Warning(obj runtime.Object, reason, message string) {
	e.emit(obj, nil, corev1.EventTypeWarning, reason, e.Action, message)
}

// Emit emits an Event of eventType about obj, naming related and action
// (the default Action when empty). related may be nil, also as a nil
// pointer of an object type (a Warehouse that was not found): the
// recorder would otherwise try to reference it.
func (e Events) Emit(obj, related runtime.Object, eventType, reason, action, message string) {
	if action == "" {
		action = e.Action
	}
	e.emit(obj, related, eventType, reason, action, message)
}

func (e Events) emit(obj, related runtime.Object, eventType, reason, action, message string) {
	if e.Recorder == nil {
		return
	}
	if v := reflect.ValueOf(related); related != nil && v.Kind() == reflect.Pointer && v.IsNil() {
		related = nil
	}
	e.Recorder.Eventf(obj, related, eventType, reason, action, "%s", message)
}
