package manager

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestGitCacheSizeFlag(t *testing.T) {
	tests := []struct {
		arg     string
		want    int64
		wantErr string
	}{
		{arg: "--git-cache-size=512Mi", want: 512 << 20},
		{arg: "--git-cache-size=0", want: 0},
		{arg: "--git-cache-size=-1Gi", wantErr: "must not be negative"},
		{arg: "--git-cache-size=lots", wantErr: "not a quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			fs := flag.NewFlagSet("manager", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var opts Options
			BindFlags(fs, &opts)
			err := fs.Parse([]string{tt.arg})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "git-cache-size") {
					t.Fatalf("err = %v, want one naming the flag and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := opts.GitCacheSize.Value(); got != tt.want {
				t.Errorf("size = %d, want %d", got, tt.want)
			}
			cache, err := gitCache(Options{GitCacheSize: opts.GitCacheSize, WorkDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if (cache == nil) != (tt.want == 0) {
				t.Errorf("cache = %v for size %d; zero must turn it off", cache, tt.want)
			}
		})
	}
}
