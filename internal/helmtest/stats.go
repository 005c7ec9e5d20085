package helmtest

// Stats counts requests since the server started or the last ResetStats.
type Stats struct {
	// Requests counts every request by URL path, failed ones included.
	Requests map[string]int
	// IndexDownloads counts GET /index.yaml answered 200 with a body.
	IndexDownloads int
	// NotModified counts /index.yaml requests answered 304.
	NotModified int
	// Unauthorized counts requests rejected with 401.
	Unauthorized int
}

// Stats returns a snapshot of the request counters.
func (r *Repo) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	req := make(map[string]int, len(r.requests))
	for k, v := range r.requests {
		req[k] = v
	}
	return Stats{Requests: req, IndexDownloads: r.indexBodies, NotModified: r.notModified, Unauthorized: r.unauthed}
}

// ResetStats zeroes the request counters.
func (r *Repo) ResetStats() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = map[string]int{}
	r.indexBodies, r.notModified, r.unauthed = 0, 0, 0
}
