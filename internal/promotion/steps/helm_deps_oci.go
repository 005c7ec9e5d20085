package steps

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"time"
)

// ociProbeTimeout bounds the scheme probe of one OCI registry.
const ociProbeTimeout = 10 * time.Second

// ociPlainHTTP reports whether the registry at host answers HTTPS with a
// plain HTTP response, as Kargo decides to let helm speak plain HTTP to it.
// Nothing but the scheme is learnt; no credentials are sent.
func ociPlainHTTP(ctx context.Context, host string) bool {
	ctx, cancel := context.WithTimeout(ctx, ociProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/v2/", nil)
	if err != nil {
		return false
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		var rec tls.RecordHeaderError
		return errors.Is(err, http.ErrSchemeMismatch) ||
			errors.As(err, &rec) && string(rec.RecordHeader[:]) == "HTTP/"
	}
	_ = resp.Body.Close()
	return false
}
