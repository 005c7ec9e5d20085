package v1alpha1

import "testing"

func TestStageVerificationRequest(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		id          string
		wantActor   string
		wantNil     bool
	}{
		{name: "none", annotations: nil, id: "v2", wantNil: true},
		{name: "Railyard's key, bare ID", annotations: map[string]string{AnnotationReverify: "v2"}, id: "v2"},
		{name: "Kargo's key, JSON", annotations: map[string]string{AnnotationKargoReverify: `{"id":"v2","actor":"alice"}`}, id: "v2", wantActor: "alice"},
		{name: "for another verification", annotations: map[string]string{AnnotationKargoReverify: "v1"}, id: "v2", wantNil: true},
		{
			name: "a stale Railyard request does not hide Kargo's new one",
			annotations: map[string]string{
				AnnotationReverify:      `{"id":"v1","actor":"bob"}`,
				AnnotationKargoReverify: `{"id":"v2","actor":"alice"}`,
			},
			id: "v2", wantActor: "alice",
		},
		{
			name: "a stale Kargo request does not hide Railyard's new one",
			annotations: map[string]string{
				AnnotationReverify:      `{"id":"v2","actor":"bob"}`,
				AnnotationKargoReverify: `{"id":"v1","actor":"alice"}`,
			},
			id: "v2", wantActor: "bob",
		},
		{name: "JSON without an ID", annotations: map[string]string{AnnotationReverify: `{"actor":"bob"}`}, id: "", wantNil: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StageVerificationRequest(tt.annotations, tt.id, AnnotationReverify, AnnotationKargoReverify)
			if tt.wantNil {
				if got != nil {
					t.Fatalf("request = %+v, want none", got)
				}
				return
			}
			if got == nil || got.ID != tt.id || got.Actor != tt.wantActor {
				t.Fatalf("request = %+v, want ID %q, actor %q", got, tt.id, tt.wantActor)
			}
		})
	}
}
