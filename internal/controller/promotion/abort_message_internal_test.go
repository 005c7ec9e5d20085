package promotion

import "testing"

func TestAbortReason(t *testing.T) {
	tests := []struct{ value, want string }{
		{`{"action":"terminate"}`, "by request"},
		{`{"action":"terminate","actor":"alice@example.com"}`, "by request of alice@example.com"},
		{`{"action":"terminate","actor":"  "}`, "by request"},
		{"", "by request"},
		{"not json", "by request"},
		{"true", "by request"},
		{`{"action":"terminate","actor":"railyard","reason":"Stage \"test\" was deleted"}`, `Stage "test" was deleted`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := abortReason(tt.value); got != tt.want {
				t.Errorf("abortReason(%q) = %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}
