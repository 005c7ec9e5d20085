package webhook

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ecr (Railyard only) handles Amazon EventBridge "ECR Image Action" events
// delivered by an API destination. EventBridge does not sign; its connection
// adds a static API-key header, which must be Authorization carrying the
// Secret's "secret", bare or as "Bearer <secret>". The secret also makes the
// path, like every receiver's.
type ecr struct{}

func init() { register(ecr{}) }

func (ecr) Name() string      { return "ecr" }
func (ecr) SecretKey() string { return "secret" }

func (e ecr) Verify(req *http.Request, _ []byte, secret map[string][]byte) error {
	key, err := secretValue(secret, e.SecretKey())
	if err != nil {
		return err
	}
	got := strings.TrimSpace(req.Header.Get("Authorization"))
	if got == "" {
		return ErrUnauthenticated
	}
	if scheme, token, ok := strings.Cut(got, " "); ok && strings.EqualFold(scheme, "Bearer") {
		got = strings.TrimSpace(token)
	}
	if subtle.ConstantTimeCompare([]byte(got), key) != 1 {
		return ErrForbidden
	}
	return nil
}

// ecrEvent is an EventBridge event envelope with an ECR Image Action detail.
type ecrEvent struct {
	DetailType string `json:"detail-type"`
	Source     string `json:"source"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	Detail     struct {
		ActionType     string `json:"action-type"`
		Result         string `json:"result"`
		RepositoryName string `json:"repository-name"`
		ImageDigest    string `json:"image-digest"`
		ImageTag       string `json:"image-tag"`
	} `json:"detail"`
}

func (ecr) Parse(_ *http.Request, body []byte) (Event, error) {
	var p ecrEvent
	if err := json.Unmarshal(body, &p); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	ev := Event{Type: p.DetailType}
	if p.Source != "aws.ecr" || p.DetailType != "ECR Image Action" {
		// Other rules may share the API destination; they name no image.
		ev.Ignored = true
		return ev, nil
	}
	ev.Type += "/" + p.Detail.ActionType + "/" + p.Detail.Result
	if p.Detail.ActionType != "PUSH" || p.Detail.Result != "SUCCESS" {
		ev.Ignored = true // DELETE, or a push that failed
		return ev, nil
	}
	if p.Account == "" || p.Region == "" || p.Detail.RepositoryName == "" {
		return ev, fmt.Errorf("%w: ECR event without account, region or repository-name", ErrBadPayload)
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(p.Region, "cn-") {
		domain = "amazonaws.com.cn" // China partition
	}
	repo := p.Account + ".dkr.ecr." + p.Region + "." + domain + "/" + p.Detail.RepositoryName
	// ECR hosts images and OCI charts alike and the event does not say which.
	ev.ImageRepos = compact([]string{NormalizeImageRepo(repo)})
	ev.ChartRepos = ev.ImageRepos
	// A push by digest only has no tag: no ref, so every subscriber refreshes.
	ev.Refs = compact([]string{p.Detail.ImageTag})
	return ev, nil
}
