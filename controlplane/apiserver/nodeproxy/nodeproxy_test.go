package nodeproxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// objects serves objects by namespace/name.
type objects map[string]runtime.Object

func (o objects) Get(_ context.Context, ns, name string) (runtime.Object, error) {
	if obj, ok := o[ns+"/"+name]; ok {
		return obj, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, name)
}

func pod(name, node string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: node}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c})
	}
	return p
}

func TestServeStream(t *testing.T) {
	// The agent: answers logs with the path and query it got.
	agent := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/broken/") {
			http.Error(w, "container \"c\" in pod \"broken\" is waiting to start", http.StatusBadRequest)
			return
		}
		io.WriteString(w, r.URL.Path+"?"+r.URL.RawQuery)
	}))
	defer agent.Close()
	host, port, _ := net.SplitHostPort(agent.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: corev1.NodeStatus{
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "n1.invalid"}, {Type: corev1.NodeInternalIP, Address: host}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(p)}},
	}}
	pods := objects{"ns/web": pod("web", "n1", "c"), "ns/two": pod("two", "n1", "a", "b"), "ns/pending": pod("pending", "", "c"),
		"ns/broken": pod("broken", "n1", "c"), "ns/lost": pod("lost", "gone", "c")}
	proxy := New(pods, objects{"/n1": node}, &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}) //nolint:gosec // test

	for _, tt := range []struct {
		name, sub, query string
		code             int
		want             string
	}{
		{"web", "log", "follow=true&tailLines=2", 200, "/containerLogs/ns/web/c?follow=true&tailLines=2"},
		{"two", "log", "container=b", 200, "/containerLogs/ns/two/b?container=b"},
		{"two", "log", "", 400, "a container name must be specified for pod two, choose one of: [a b]"},
		{"web", "log", "container=x", 400, "container x is not valid for pod web"},
		{"pending", "log", "", 400, "pod pending does not have a host assigned"},
		{"broken", "log", "", 400, `is waiting to start`},
		{"lost", "log", "", 404, ""},
		{"nope", "log", "", 404, ""},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/api/v1/namespaces/ns/pods/"+tt.name+"/"+tt.sub+"?"+tt.query, nil)
		proxy.ServeStream(w, r, "pods", tt.sub, "ns", tt.name)
		body := w.Body.String()
		if w.Code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s/%s?%s: %d %q, want %d %q", tt.name, tt.sub, tt.query, w.Code, body, tt.code, tt.want)
		}
		if w.Code != 200 {
			var st metav1.Status
			if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || st.Kind != "Status" || st.Code != int32(tt.code) {
				t.Errorf("%s: error body is no Status: %q", tt.name, body)
			}
		}
	}
}
