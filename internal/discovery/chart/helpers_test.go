package chart

import (
	"errors"
	"strings"
)

const secret = "hunter2"

func isInvalid(err error) bool { return errors.Is(err, ErrInvalidSubscription) }

func containsSecret(err error) bool { return strings.Contains(err.Error(), secret) }
