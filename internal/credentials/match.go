package credentials

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// Match returns the credentials of the first Secret, in name order, whose
// repoURL matches repoURL, or nil when none does. The Secrets are assumed
// to carry the cred-type label of kind. A Secret whose repoURL regex does
// not compile is skipped; if no other Secret matches, that is reported as an
// error so a typo does not silently mean "anonymous".
func Match(secrets []corev1.Secret, kind Kind, repoURL string) (*Credentials, error) {
	sorted := make([]corev1.Secret, len(secrets))
	copy(sorted, secrets)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })

	want := Normalize(kind, repoURL)
	var skipped []error
	for i := range sorted {
		sec := &sorted[i]
		pattern := value(sec, railyard.CredKeyRepoURL)
		if pattern == "" {
			continue
		}
		ok, err := matches(pattern, isRegex(sec), kind, repoURL, want)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("%w: Secret %s/%s: key %q: %w",
				ErrInvalidSecret, sec.Namespace, sec.Name, railyard.CredKeyRepoURL, err))
			continue
		}
		if ok {
			return fromSecret(sec, kind)
		}
	}
	return nil, errors.Join(skipped...)
}

// Normalize returns the form in which repository URLs of kind are compared,
// so that "nginx" matches "docker.io/library/nginx" and a git URL with and
// without ".git" are the same repository.
func Normalize(kind Kind, repoURL string) string {
	switch kind {
	case Image:
		return freight.NormalizeImageURL(strings.TrimPrefix(strings.TrimSpace(repoURL), "oci://"))
	case Helm:
		return freight.NormalizeChartURL(repoURL)
	case Git:
		return freight.NormalizeGitURL(repoURL)
	}
	return strings.TrimSpace(repoURL)
}

func matches(pattern string, regex bool, kind Kind, raw, normalized string) (bool, error) {
	if !regex {
		return Normalize(kind, pattern) == normalized, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		// The regexp error quotes the pattern, which is not secret.
		return false, fmt.Errorf("not a valid regular expression: %w", err)
	}
	return re.MatchString(raw) || re.MatchString(normalized), nil
}

func isRegex(sec *corev1.Secret) bool {
	return strings.EqualFold(strings.TrimSpace(value(sec, railyard.CredKeyRepoURLIsRegex)), "true")
}

func value(sec *corev1.Secret, key string) string {
	if v, ok := sec.StringData[key]; ok {
		return v
	}
	return string(sec.Data[key])
}

// fromSecret reads the credentials of a matching Secret and checks that the
// keys its kind needs are present.
func fromSecret(sec *corev1.Secret, kind Kind) (*Credentials, error) {
	c := &Credentials{
		SecretName:         sec.Name,
		Username:           value(sec, railyard.CredKeyUsername),
		Password:           value(sec, railyard.CredKeyPassword),
		SSHPrivateKey:      []byte(value(sec, railyard.CredKeySSHPrivateKey)),
		AWSAccessKeyID:     value(sec, railyard.CredKeyAWSAccessKeyID),
		AWSSecretAccessKey: value(sec, railyard.CredKeyAWSSecretAccessKey),
		AWSRegion:          value(sec, railyard.CredKeyAWSRegion),
	}
	if len(c.SSHPrivateKey) == 0 {
		c.SSHPrivateKey = nil
	}
	if kind == Git {
		c.GitHubAppID = strings.TrimSpace(value(sec, KeyGitHubAppID))
		c.GitHubAppClientID = strings.TrimSpace(value(sec, KeyGitHubAppClientID))
		c.GitHubAppInstallationID = strings.TrimSpace(value(sec, KeyGitHubAppInstallationID))
		if k := value(sec, KeyGitHubAppPrivateKey); k != "" {
			c.GitHubAppPrivateKey = []byte(k)
		}
		c.Provider = strings.ToLower(strings.TrimSpace(value(sec, KeyProvider)))
	}
	if missing := missingKey(c, kind); missing != "" {
		return nil, fmt.Errorf("%w: Secret %s/%s matches the repository but lacks key %s",
			ErrInvalidSecret, sec.Namespace, sec.Name, missing)
	}
	return c, nil
}

// missingKey names the key (or alternatives) a Secret of kind lacks, or "".
func missingKey(c *Credentials, kind Kind) string {
	if kind == Git && c.HasGitHubApp() {
		switch {
		case c.GitHubAppID == "" && c.GitHubAppClientID == "":
			return quote(KeyGitHubAppClientID) + " (or " + quote(KeyGitHubAppID) + ")"
		case c.GitHubAppInstallationID == "":
			return quote(KeyGitHubAppInstallationID)
		case len(c.GitHubAppPrivateKey) == 0:
			return quote(KeyGitHubAppPrivateKey)
		}
		return ""
	}
	if kind == Git && c.SSHPrivateKey != nil {
		return ""
	}
	if kind == Image && (c.AWSAccessKeyID != "" || c.AWSSecretAccessKey != "") {
		switch {
		case c.AWSAccessKeyID == "":
			return quote(railyard.CredKeyAWSAccessKeyID)
		case c.AWSSecretAccessKey == "":
			return quote(railyard.CredKeyAWSSecretAccessKey)
		}
		return ""
	}
	switch {
	case c.Password == "" && kind == Git && c.Username == "":
		return quote(railyard.CredKeyPassword) + " (or " + quote(railyard.CredKeySSHPrivateKey) + ")"
	case c.Password == "":
		return quote(railyard.CredKeyPassword)
	case c.Username == "" && kind != Git:
		// Git hosts accept a token with any user name; registries do not.
		return quote(railyard.CredKeyUsername)
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }
