//go:build kubelet

package kubelet

import (
	"os"
	"path/filepath"
	"strings"
)

// webManifest is a static pod with an init container that writes the web
// root into an emptyDir, a sidecar (an init container that keeps running)
// that logs a numbered line a second, and a web server with a postStart
// hook, an httpGet readiness probe and an exec liveness probe (the hook
// and the probe run through skiffd's ExecSync).
// {{version}} is served as the page and labels the pod: changing it
// changes the manifest, hence the static pod's UID.
const webManifest = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  labels: {app: web, version: "{{version}}"}
spec:
  dnsPolicy: Default
  terminationGracePeriodSeconds: 5
  volumes:
  - name: www
    emptyDir: {}
  initContainers:
  - name: content
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo web {{version}} > /www/index.html"]
    volumeMounts: [{name: www, mountPath: /www}]
  - name: logger
    image: busybox
    imagePullPolicy: IfNotPresent
    restartPolicy: Always
    # About 100 bytes a second: the kubelet rotates the log within a minute.
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo sidecar line $i {{padding}}; sleep 1 & wait; done"]
  containers:
  - name: web
    image: busybox
    imagePullPolicy: IfNotPresent
    # pid 1 ignores SIGTERM without a handler: stop the server on it.
    command:
    - sh
    - -c
    - |
      httpd -f -p 8080 -h /www & pid=$!
      trap 'kill $pid; exit 0' TERM
      wait
    volumeMounts: [{name: www, mountPath: /www}]
    ports: [{containerPort: 8080}]
    resources:
      requests: {cpu: 100m, memory: 32Mi}
      limits: {cpu: 200m, memory: 64Mi}
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "echo started > /tmp/poststart"]}
    readinessProbe:
      httpGet: {path: /, port: 8080}
      periodSeconds: 1
    livenessProbe:
      exec: {command: ["cat", "/www/index.html"]}
      periodSeconds: 2
      failureThreshold: 3
`

// crashManifest is a static pod whose container writes a termination
// message and exits with 3 at once, again and again: the kubelet restarts
// it with back-off.
const crashManifest = `apiVersion: v1
kind: Pod
metadata:
  name: crash
  namespace: default
spec:
  dnsPolicy: Default
  restartPolicy: Always
  containers:
  - name: crash
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo crashing; echo bye > /dev/termination-log; exit 3"]
`

// writeManifest puts a static pod manifest in place atomically, so that
// the kubelet never reads half a file.
func (n *node) writeManifest(name, content string) {
	n.t.Helper()
	tmp := filepath.Join(n.dir, name+".yaml.tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		n.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(n.manifest, name+".yaml")); err != nil {
		n.t.Fatal(err)
	}
}

func (n *node) removeManifest(name string) {
	n.t.Helper()
	if err := os.Remove(filepath.Join(n.manifest, name+".yaml")); err != nil {
		n.t.Fatal(err)
	}
}

func web(version string) string {
	return strings.NewReplacer("{{version}}", version, "{{padding}}", strings.Repeat(".", 80)).Replace(webManifest)
}
