package ecr

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// closingBody is a request body that fails once closed, as the SDK's own
// stream does after it has closed it.
type closingBody struct {
	r      io.Reader
	closed bool
}

func (b *closingBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("read of a closed body")
	}
	return b.r.Read(p)
}

func (b *closingBody) Close() error {
	if b.closed {
		return errors.New("body closed twice")
	}
	b.closed = true
	return nil
}

type doFunc func(*http.Request) (*http.Response, error)

func (f doFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestOwnedBodies(t *testing.T) {
	const payload = `{"repositoryName":"team/app","maxResults":1000}`
	tests := []struct {
		name    string
		body    func() io.ReadCloser
		want    string
		wantErr string
	}{
		{name: "the caller closes its body while the transport still holds it", body: func() io.ReadCloser {
			return &closingBody{r: strings.NewReader(payload)}
		}, want: payload},
		{name: "no body", body: func() io.ReadCloser { return nil }},
		{name: "a body larger than any ECR request", body: func() io.ReadCloser {
			return io.NopCloser(strings.NewReader(strings.Repeat("x", maxRequestBody+1)))
		}, wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.body()
			req, err := http.NewRequest(http.MethodPost, "http://ecr.invalid/", nil)
			if err != nil {
				t.Fatal(err)
			}
			if orig != nil {
				req.Body = orig
			}
			var got string
			var sent *http.Request
			next := doFunc(func(r *http.Request) (*http.Response, error) {
				sent = r
				// The SDK closes the stream it built once a response is in,
				// which may be before the transport has finished with it.
				if orig != nil {
					_ = orig.Close()
				}
				if r.Body != nil {
					b, err := io.ReadAll(r.Body)
					if err != nil {
						return nil, err
					}
					if err := r.Body.Close(); err != nil {
						return nil, err
					}
					got = string(b)
				}
				return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
			})
			_, err = ownedBodies{next}.Do(req)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("transport read %q, want %q", got, tt.want)
			}
			if tt.want != "" {
				if sent.ContentLength != int64(len(tt.want)) {
					t.Errorf("ContentLength = %d, want %d", sent.ContentLength, len(tt.want))
				}
				again, err := sent.GetBody()
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := io.ReadAll(again); string(b) != tt.want {
					t.Errorf("GetBody gave %q, want %q", b, tt.want)
				}
			}
		})
	}
}

// TestClientsOwnTheirBodies checks the wiring: both kinds of credentials
// reach ECR through ownedBodies. Without it the listing fails now and then
// with "use of closed network connection" (TestOwnedBodies).
func TestClientsOwnTheirBodies(t *testing.T) {
	t.Run("static credentials", func(t *testing.T) {
		srv, p := standIn(t, newClock(), Options{})
		reg, _ := parseRepoURL(srv.RepoURL("app"))
		c, err := p.client(t.Context(), reg, staticCreds(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Options().HTTPClient.(ownedBodies); !ok {
			t.Fatalf("HTTP client is %T, want ownedBodies", c.Options().HTTPClient)
		}
	})
	t.Run("ambient credentials", func(t *testing.T) {
		hermeticAWSEnv(t)
		t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
		srv, p := standIn(t, newClock(), Options{})
		reg, _ := parseRepoURL(srv.RepoURL("app"))
		c, err := p.client(t.Context(), reg, AmbientCredentials())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Options().HTTPClient.(ownedBodies); !ok {
			t.Fatalf("HTTP client is %T, want ownedBodies", c.Options().HTTPClient)
		}
	})
}
