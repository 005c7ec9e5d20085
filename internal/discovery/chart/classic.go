package chart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// listClassic returns every version of the chart in the repository index,
// from the cache when the server answers 304.
func (d *Discoverer) listClassic(ctx context.Context, s *subscription) ([]string, error) {
	indexURL := s.indexURL()
	key := newCacheKey(indexURL, s.Name, s.Credentials)
	cached, haveCached := d.cache.get(key)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, indexURL, nil)
	if err != nil {
		return nil, invalidf("cannot build request for %s", s.displayURL())
	}
	req.Header.Set("Accept", "application/yaml, application/x-yaml, application/json;q=0.9, */*;q=0.8")
	if c := s.Credentials; c != nil {
		req.SetBasicAuth(c.Username, c.Password)
	}
	if haveCached {
		if cached.etag != "" {
			req.Header.Set("If-None-Match", cached.etag)
		}
		if cached.lastModified != "" {
			req.Header.Set("If-Modified-Since", cached.lastModified)
		}
	}

	resp, err := (&http.Client{Transport: d.transport(s.InsecureSkipTLSVerify)}).Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("fetching index: %w", ctxErr)
		}
		// net/http strips passwords from URLs in its errors; we never put
		// credentials in URLs anyway.
		return nil, fmt.Errorf("%w: fetching index: %w", ErrTransient, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()

	switch {
	case resp.StatusCode == http.StatusNotModified && haveCached:
		return cached.versions, nil
	case resp.StatusCode == http.StatusOK:
	default:
		se := &StatusError{StatusCode: resp.StatusCode, URL: redactedURL(indexURL)}
		se.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), d.now())
		return nil, se
	}

	body := &limitedReader{r: resp.Body, n: d.maxIndexBytes}
	versions, err := readIndexVersions(body, s.Name)
	if err != nil {
		d.cache.delete(key)
		if body.exceeded {
			return nil, fmt.Errorf("%w: index is larger than %d bytes", ErrMalformedIndex, d.maxIndexBytes)
		}
		if !errors.Is(err, ErrMalformedIndex) && !errors.Is(err, ErrNotFound) {
			// A broken connection mid-body.
			return nil, fmt.Errorf("%w: %w", ErrTransient, err)
		}
		return nil, err
	}
	etag, lastModified := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag != "" || lastModified != "" {
		d.cache.put(key, cacheEntry{etag: etag, lastModified: lastModified, versions: versions})
	} else {
		d.cache.delete(key)
	}
	return versions, nil
}

// limitedReader is io.LimitReader that remembers hitting the limit, so a
// truncated index is reported as too large rather than malformed.
type limitedReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.exceeded = true
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
