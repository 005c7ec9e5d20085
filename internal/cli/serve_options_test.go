package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// BindServeFlags is serve's flag set (the chart's tests parse the UI
// Deployment's arguments with it), and ListenAddress refuses what serve
// refuses.
func TestServeOptions(t *testing.T) {
	oidc := []string{"--external-url=https://r.example.com", "--oidc-issuer=https://id.example.com", "--oidc-client-id=railyard"}
	for _, tc := range []struct {
		name    string
		args    []string
		addr    string
		wantErr string
		check   func(ServeOptions) bool
	}{
		{name: "local, defaults", args: []string{"--local"}, addr: "127.0.0.1:8080"},
		{name: "local, IPv6 loopback", args: []string{"--local", "--address=[::1]:0"}, addr: "[::1]:0"},
		{name: "local off loopback", args: []string{"--local", "--address=:8080"}, wantErr: "loopback address only"},
		{name: "OIDC, defaults", args: oidc, addr: ":8080", check: func(so ServeOptions) bool {
			return so.UsernameClaim == "sub" && so.GroupsPrefix == "oidc:" && so.SessionTTL == 8*time.Hour &&
				reflect.DeepEqual(so.Scopes, []string{"openid", "profile", "email", "groups"})
		}},
		{name: "OIDC, scopes and TTL", args: append(oidc, "--oidc-scopes=openid,groups", "--session-ttl=1h"), addr: ":8080", check: func(so ServeOptions) bool {
			return so.SessionTTL == time.Hour && reflect.DeepEqual(so.Scopes, []string{"openid", "groups"})
		}},
		{name: "OIDC without a client", args: oidc[:2], wantErr: "give --oidc-issuer, --oidc-client-id and --external-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			var so ServeOptions
			BindServeFlags(fs, &so)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			addr, err := so.ListenAddress()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if addr != tc.addr {
				t.Errorf("address %q, want %q", addr, tc.addr)
			}
			if tc.check != nil && !tc.check(so) {
				t.Errorf("options %+v", so)
			}
		})
	}
}
