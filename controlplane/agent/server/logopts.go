package server

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// parseLogOptions reads PodLogOptions from a query, as kube-apiserver
// encodes them: follow, previous, timestamps (booleans), sinceSeconds,
// tailLines, limitBytes (integers), sinceTime (RFC 3339).
func parseLogOptions(q url.Values) (*corev1.PodLogOptions, error) {
	o := &corev1.PodLogOptions{Container: q.Get("container")}
	for name, dst := range map[string]*bool{"follow": &o.Follow, "previous": &o.Previous, "timestamps": &o.Timestamps} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a boolean", name, v)
			}
			*dst = b
		}
	}
	ints := map[string]**int64{"sinceSeconds": &o.SinceSeconds, "tailLines": &o.TailLines, "limitBytes": &o.LimitBytes}
	for name, dst := range ints {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || (n == 0 && name != "tailLines") {
				return nil, fmt.Errorf("%s: %q must be a positive integer", name, v)
			}
			*dst = &n
		}
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, fmt.Errorf("sinceTime: %w", err)
		}
		o.SinceTime = &metav1.Time{Time: t}
	}
	if o.SinceSeconds != nil && o.SinceTime != nil {
		return nil, fmt.Errorf("at most one of sinceTime or sinceSeconds may be specified")
	}
	return o, nil
}
