package gitprovider

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Secret keys of Kargo's git credentials.
const (
	SecretKeyUsername          = "username"
	SecretKeyPassword          = "password"
	SecretKeyAppID             = "githubAppID"
	SecretKeyAppClientID       = "githubAppClientID"
	SecretKeyAppInstallationID = "githubAppInstallationID"
	SecretKeyAppPrivateKey     = "githubAppPrivateKey"
)

// Credentials are the API credentials a repository Secret carries.
type Credentials struct {
	Username string
	// Token is the Secret's password (a personal or project access token).
	Token string
	// GitHubApp is set when the Secret holds GitHub App credentials.
	GitHubApp *AppCredentials
	// Provider is the provider the Secret names ("" when it names none).
	Provider string
}

// CredentialsFromSecretData reads a git credentials Secret's data: token =
// "password" (and "username"); GitHub App = "githubAppClientID" or
// "githubAppID", "githubAppInstallationID", "githubAppPrivateKey". A Secret
// with only part of the App keys is an error; errors name keys, never values.
func CredentialsFromSecretData(data map[string][]byte) (Credentials, error) {
	get := func(k string) string { return strings.TrimSpace(string(data[k])) }
	c := Credentials{Username: get(SecretKeyUsername), Token: get(SecretKeyPassword)}
	appID, clientID, inst, key := get(SecretKeyAppID), get(SecretKeyAppClientID), get(SecretKeyAppInstallationID), data[SecretKeyAppPrivateKey]
	if appID == "" && clientID == "" && inst == "" && len(key) == 0 {
		return c, nil
	}
	var missing []string
	if appID == "" && clientID == "" {
		missing = append(missing, SecretKeyAppClientID+" (or "+SecretKeyAppID+")")
	}
	if inst == "" {
		missing = append(missing, SecretKeyAppInstallationID)
	}
	if len(key) == 0 {
		missing = append(missing, SecretKeyAppPrivateKey)
	}
	if len(missing) > 0 {
		return Credentials{}, fmt.Errorf("github app credentials incomplete: missing %s", strings.Join(missing, ", "))
	}
	id, err := strconv.ParseInt(inst, 10, 64)
	if err != nil || id <= 0 {
		return Credentials{}, errors.New("github app credentials: " + SecretKeyAppInstallationID + " is not a positive integer")
	}
	if _, err := parseRSAKey(key); err != nil {
		return Credentials{}, err
	}
	c.GitHubApp = &AppCredentials{AppID: appID, ClientID: clientID, InstallationID: id, PrivateKey: key}
	return c, nil
}

// Apply copies the credentials into opts.
func (c Credentials) Apply(opts *Options) {
	opts.Username, opts.Token, opts.GitHubApp = c.Username, c.Token, c.GitHubApp
}
