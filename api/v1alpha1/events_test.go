package v1alpha1

import (
	"os"
	"strings"
	"testing"
)

// docs/api.md lists every Event reason of Stages and Promotions.
func TestEventReasonsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range append(EventReasons, ReasonVerificationFailed, ReasonVerificationError,
		ReasonVerificationInconclusive, ReasonVerificationAborted) {
		if !strings.Contains(string(doc), "`"+reason+"`") {
			t.Errorf("docs/api.md does not list the Event reason %s", reason)
		}
	}
}
