package v1alpha1

import "testing"

// Railyard's spelling wins whenever it is present, even empty; Kargo's is
// read only without it.
func TestKeyValue(t *testing.T) {
	tests := []struct {
		name   string
		m      map[string]string
		want   string
		wantOK bool
	}{
		{name: "Railyard's", m: map[string]string{AnnotationAbort: "a", AnnotationKargoAbort: "b"}, want: "a", wantOK: true},
		{name: "Railyard's empty wins", m: map[string]string{AnnotationAbort: "", AnnotationKargoAbort: "b"}, want: "", wantOK: true},
		{name: "Kargo's", m: map[string]string{AnnotationKargoAbort: "b"}, want: "b", wantOK: true},
		{name: "neither", m: map[string]string{"other": "x"}},
		{name: "nil map", m: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := KeyValue(tt.m, AnnotationAbort, AnnotationKargoAbort)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("KeyValue = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
