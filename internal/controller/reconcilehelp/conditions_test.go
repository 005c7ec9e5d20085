package reconcilehelp

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestSetCondition(t *testing.T) {
	long := strings.Repeat("x", MaxMessageLength+10)
	earlier := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tests := map[string]struct {
		existing    []metav1.Condition
		status      metav1.ConditionStatus
		reason, msg string
		wantChanged bool
		wantMsg     string
		// wantKeptTime: lastTransitionTime stays as it was.
		wantKeptTime bool
	}{
		"new condition": {
			status: metav1.ConditionTrue, reason: railyard.ReasonSucceeded, msg: "fine",
			wantChanged: true, wantMsg: "fine",
		},
		"same status, new message: time kept": {
			existing: []metav1.Condition{{Type: railyard.ConditionReady, Status: metav1.ConditionTrue, Reason: railyard.ReasonSucceeded,
				Message: "old", LastTransitionTime: earlier, ObservedGeneration: 7}},
			status: metav1.ConditionTrue, reason: railyard.ReasonSucceeded, msg: "new",
			wantChanged: true, wantMsg: "new", wantKeptTime: true,
		},
		"new status: time moves": {
			existing: []metav1.Condition{{Type: railyard.ConditionReady, Status: metav1.ConditionTrue, Reason: railyard.ReasonSucceeded,
				Message: "fine", LastTransitionTime: earlier, ObservedGeneration: 7}},
			status: metav1.ConditionFalse, reason: railyard.ReasonProgressing, msg: "busy",
			wantChanged: true, wantMsg: "busy",
		},
		"nothing new": {
			existing: []metav1.Condition{{Type: railyard.ConditionReady, Status: metav1.ConditionTrue, Reason: railyard.ReasonSucceeded,
				Message: "fine", LastTransitionTime: earlier, ObservedGeneration: 7}},
			status: metav1.ConditionTrue, reason: railyard.ReasonSucceeded, msg: "fine",
			wantChanged: false, wantMsg: "fine", wantKeptTime: true,
		},
		"message over the API's limit is truncated": {
			status: metav1.ConditionFalse, reason: railyard.ReasonInvalidSpec, msg: long,
			wantChanged: true, wantMsg: long[:MaxMessageLength-3] + "...",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := &railyard.Project{}
			p.Generation = 7
			p.Status.Conditions = tt.existing
			if got := SetCondition(p, railyard.ConditionReady, tt.status, tt.reason, tt.msg); got != tt.wantChanged {
				t.Errorf("changed = %v, want %v", got, tt.wantChanged)
			}
			c := meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionReady)
			if c == nil {
				t.Fatal("no Ready condition")
			}
			if c.Status != tt.status || c.Reason != tt.reason || c.Message != tt.wantMsg {
				t.Errorf("condition = %s/%s %.40q, want %s/%s %.40q", c.Status, c.Reason, c.Message, tt.status, tt.reason, tt.wantMsg)
			}
			if c.ObservedGeneration != 7 {
				t.Errorf("observedGeneration = %d, want the object's 7", c.ObservedGeneration)
			}
			if kept := c.LastTransitionTime.Equal(&earlier); kept != tt.wantKeptTime {
				t.Errorf("lastTransitionTime kept = %v, want %v", kept, tt.wantKeptTime)
			}
		})
	}
}

func TestRemoveCondition(t *testing.T) {
	w := &railyard.Warehouse{}
	SetCondition(w, railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonInvalidSpec, "stuck")
	SetCondition(w, railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonInvalidSpec, "stuck")
	if !RemoveCondition(w, railyard.ConditionStalled) {
		t.Error("removing a present condition reported none")
	}
	if RemoveCondition(w, railyard.ConditionStalled) {
		t.Error("removing an absent condition reported one")
	}
	if len(w.Status.Conditions) != 1 || w.Status.Conditions[0].Type != railyard.ConditionReady {
		t.Errorf("conditions = %+v, want Ready alone", w.Status.Conditions)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		max  int
		want string
	}{
		{"short enough", "hello", 5, "hello"},
		{"cut with an ellipsis", "hello world", 8, "hello..."},
		{"a rune is never split", "ab€€", 7, "ab..."}, // € is 3 bytes: "ab€" + "..." would be 8
		{"tiny bound", "hello", 2, "he"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.msg, tt.max)
			if got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.msg, tt.max, got, tt.want)
			}
			if len(got) > tt.max || !utf8.ValidString(got) {
				t.Errorf("Truncate(%q, %d) = %q: over the bound or not UTF-8", tt.msg, tt.max, got)
			}
		})
	}
}
