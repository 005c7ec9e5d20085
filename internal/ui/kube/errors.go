package kube

import (
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ForbiddenError says which verb on which resource a person lacks.
type ForbiddenError struct {
	User, Verb, Resource, Name, Namespace string
	// Message is the API server's own words, when it refused a request.
	Message string
}

func (e *ForbiddenError) Error() string {
	target := e.Resource
	if e.Name != "" {
		target += "/" + e.Name
	}
	where := "in namespace " + e.Namespace
	if e.Namespace == "" {
		where = "cluster-wide"
	}
	msg := fmt.Sprintf("%s may not %s %s %s: you need the verb %s on %s %s; ask a project admin for a RoleBinding (see config/rbac/user_roles.yaml)",
		e.User, e.Verb, target, where, e.Verb, target, where)
	if e.Message != "" {
		msg += " (the API server said: " + e.Message + ")"
	}
	return msg
}

// Explain turns an error of a request made as user into one that says what
// to do: a refusal by RBAC or admission names the verb and resource.
func Explain(err error, user, verb, resource, name, ns string) error {
	target := resource
	if name != "" {
		target += "/" + name
	}
	var status apierrors.APIStatus
	switch {
	case err == nil:
		return nil
	case apierrors.IsForbidden(err) && errors.As(err, &status):
		return &ForbiddenError{User: user, Verb: verb, Resource: resource, Name: name, Namespace: ns, Message: status.Status().Message}
	case apierrors.IsInvalid(err):
		return fmt.Errorf("the API server refused to %s %s: %w", verb, target, err)
	}
	return fmt.Errorf("%s %s in namespace %s: %w", verb, target, ns, err)
}
