// Package crd tests the Railyard API as the API server serves it: the
// generated CRDs on a real kube-apiserver and etcd, driven by the real
// kubectl and a Go client.
package crd

import (
	"fmt"
	"os"
	"testing"

	"github.com/railyard-dev/railyard/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}
