package chart

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readJSONIndexVersions walks a JSON index token by token, decoding only the
// entries of chart name.
func readJSONIndexVersions(r io.Reader, name string) ([]string, error) {
	dec := json.NewDecoder(r)
	malformed := func(err error) error {
		return fmt.Errorf("%w: %w", ErrMalformedIndex, err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, malformed(err)
	}
	var (
		sawAPI   bool
		found    bool
		versions []string
	)
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, malformed(err)
		}
		switch key {
		case "apiVersion":
			var v string
			if err := dec.Decode(&v); err != nil {
				return nil, malformed(fmt.Errorf("apiVersion: %w", err))
			}
			sawAPI = v != ""
		case "entries":
			versions, found, err = jsonEntries(dec, name)
			if err != nil {
				return nil, malformed(err)
			}
		default:
			if err := skipValue(dec); err != nil {
				return nil, malformed(err)
			}
		}
	}
	if !sawAPI {
		return nil, fmt.Errorf("%w: no top-level apiVersion (not a Helm repository index)", ErrMalformedIndex)
	}
	if !found {
		return nil, fmt.Errorf("%w: %q is not in the index", ErrNotFound, name)
	}
	return versions, nil
}

func jsonEntries(dec *json.Decoder, name string) ([]string, bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, false, err
	}
	if tok == nil {
		return nil, false, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, false, errors.New("entries is not an object")
	}
	var (
		versions []string
		found    bool
	)
	for dec.More() {
		chart, err := stringToken(dec)
		if err != nil {
			return nil, false, err
		}
		if chart != name {
			if err := skipValue(dec); err != nil {
				return nil, false, err
			}
			continue
		}
		var list []struct {
			Version json.RawMessage `json:"version"`
		}
		if err := dec.Decode(&list); err != nil {
			return nil, false, fmt.Errorf("entries of chart %q: %w", name, err)
		}
		found = true
		for _, e := range list {
			if v := rawVersion(e.Version); v != "" {
				versions = append(versions, v)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return nil, false, err
	}
	return versions, found, nil
}

// rawVersion accepts a version written as a string or a bare number.
func rawVersion(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	v := strings.TrimSpace(string(raw))
	if v == "null" {
		return ""
	}
	return v
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q", want)
	}
	return nil
}

func stringToken(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected an object key, got %v", tok)
	}
	return s, nil
}

// skipValue consumes one JSON value without keeping it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}
