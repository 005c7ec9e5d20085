package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// apiRequests reads kube-apiserver's apiserver_request_total, summed by
// verb and resource (writes and reads the manager, the stand-in and the
// benchmark made).
func apiRequests(ctx context.Context, cfg *rest.Config) (map[string]float64, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		labels, value, ok := strings.Cut(strings.TrimPrefix(line, "apiserver_request_total{"), "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		l := promLabels(labels)
		key := l["verb"] + " " + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		out[key] += v
	}
	return out, sc.Err()
}

func promLabels(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			out[k] = strings.Trim(v, `"`)
		}
	}
	return out
}

// apiRequestRows are the requests made between two readings, the most
// frequent first, those under least left out.
func apiRequestRows(before, after map[string]float64, least float64) [][2]string {
	type kv struct {
		k string
		v float64
	}
	var list []kv
	var total float64
	for k, v := range after {
		d := v - before[k]
		total += d
		if d >= least && !strings.HasPrefix(k, "WATCH") {
			list = append(list, kv{k, d})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v })
	rows := [][2]string{{"API requests, all", fmt.Sprintf("%.0f", total)}}
	for _, e := range list {
		rows = append(rows, [2]string{"API requests, " + e.k, fmt.Sprintf("%.0f", e.v)})
	}
	return rows
}

// profileAPIServer takes a CPU profile of kube-apiserver over the next
// seconds into file (its /debug/pprof, on by default); the returned func
// waits for it. An empty file takes none.
func profileAPIServer(ctx context.Context, cfg *rest.Config, file string, seconds int) (wait func() error) {
	if file == "" {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() {
		cs, err := kubernetes.NewForConfig(rest.CopyConfig(cfg))
		if err != nil {
			done <- err
			return
		}
		raw, err := cs.Discovery().RESTClient().Get().AbsPath("/debug/pprof/profile").
			Param("seconds", strconv.Itoa(seconds)).Timeout(time.Duration(seconds+30) * time.Second).DoRaw(ctx)
		if err != nil {
			done <- fmt.Errorf("kube-apiserver profile: %w", err)
			return
		}
		done <- os.WriteFile(file, raw, 0o644)
	}()
	return func() error { return <-done }
}
