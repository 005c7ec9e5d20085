package ecr

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// maxRequestBody bounds what ownedBodies copies: ECR API requests are a
// few hundred bytes of JSON.
const maxRequestBody = 1 << 20

// ownedBodies hands the transport its own copy of each request body.
//
// net/http's writer closed the connection on its write-error path while
// the response body was still being read, which then failed with "use of
// closed network connection": most likely the SDK closes the body stream it
// built once the response has arrived, before the writer is done with it.
// Against the ECR stand-in it failed about one in a hundred paginated
// listings (three requests each). A body the transport alone owns cannot
// be closed under it.
type ownedBodies struct{ next aws.HTTPClient }

func (c ownedBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.next.Do(req)
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBody+1))
	_ = req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	if len(b) > maxRequestBody {
		return nil, fmt.Errorf("request body larger than %d bytes", maxRequestBody)
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(b))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	out.ContentLength = int64(len(b))
	return c.next.Do(out)
}
