package testimage

// Servers and long-running programs of the critest images, written as
// busybox shell scripts. Each traps its stop signals: as pid 1 of a pid
// namespace, a process without a handler never dies of SIGTERM.

// nginxScript stands in for nginx (/usr/sbin/nginx). critest expects, of
// registry.k8s.io/e2e-test-images/nginx: an HTTP 200 on port 80, the pid
// in /var/run/nginx.pid, a process that `pidof nginx` finds (the kernel
// names a script's process after the script), and "master process" in
// /proc/1/cmdline (the script re-executes itself with nginx's process
// title as its first argument). NGINX_PORT changes the port.
const nginxScript = `#!/bin/sh
# nginx stand-in (skiff testimage): busybox httpd serving
# /usr/share/nginx/html on ${NGINX_PORT:-80}.
if [ "$1" != "nginx: master process" ]; then
	exec "$0" "nginx: master process" "$@"
fi
child=
trap 'kill $child 2>/dev/null; rm -f /var/run/nginx.pid; exit 0' TERM INT QUIT
port="${NGINX_PORT:-80}"
httpd -f -p "$port" -h /usr/share/nginx/html &
child=$!
echo "$$" >/var/run/nginx.pid
echo "nginx: listening on port $port" >&2
wait "$child"
status=$?
rm -f /var/run/nginx.pid
exit "$status"
`

const nginxIndex = `<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body><h1>Welcome to nginx!</h1><p>skiff test image</p></body>
</html>
`

// nginxLayer holds the nginx stand-in and its document root.
func nginxLayer() layerSpec {
	return layerSpec{
		createdBy: "COPY nginx / # skiff testimage nginx stand-in",
		entries: []entry{
			dir("etc/nginx", 0o755),
			file("etc/nginx/README", 0o644, "nginx stand-in: see /usr/sbin/nginx\n"),
			dir("usr/sbin", 0o755),
			file("usr/sbin/nginx", 0o755, nginxScript),
			dir("usr/share", 0o755),
			dir("usr/share/nginx", 0o755),
			dir("usr/share/nginx/html", 0o755),
			file("usr/share/nginx/html/50x.html", 0o644, "<html><body><h1>error</h1></body></html>\n"),
			file("usr/share/nginx/html/index.html", 0o644, nginxIndex),
			dir("var/cache", 0o755),
			dir("var/cache/nginx", 0o755),
			dir("var/log/nginx", 0o755),
		},
	}
}

// httpdScript stands in for Apache's httpd-foreground: busybox httpd on
// port 80. critest wants an HTTP 200 and "httpd" in the container log.
const httpdScript = `#!/bin/sh
# Apache httpd stand-in (skiff testimage): busybox httpd serving
# /usr/local/apache2/htdocs on ${HTTPD_PORT:-80} in the foreground.
child=
trap 'kill $child 2>/dev/null; exit 0' TERM INT QUIT
port="${HTTPD_PORT:-80}"
httpd -f -p "$port" -h /usr/local/apache2/htdocs &
child=$!
echo "httpd: serving /usr/local/apache2/htdocs on port $port" >&2
wait "$child"
`

func httpdLayer() layerSpec {
	return layerSpec{
		createdBy: "COPY httpd / # skiff testimage Apache httpd stand-in",
		entries: []entry{
			dir("usr/local", 0o755),
			dir("usr/local/apache2", 0o755),
			dir("usr/local/apache2/bin", 0o755),
			dir("usr/local/apache2/htdocs", 0o755),
			file("usr/local/apache2/htdocs/index.html", 0o644, "<html><body><h1>It works!</h1></body></html>\n"),
			dir("usr/local/bin", 0o755),
			file("usr/local/bin/httpd-foreground", 0o755, httpdScript),
		},
	}
}

// pauseScript stands in for the pause program: it sleeps until stopped.
const pauseScript = `#!/bin/sh
# pause stand-in (skiff testimage): sleeps until SIGTERM or SIGINT.
trap 'kill $! 2>/dev/null; exit 0' TERM INT
while :; do
	sleep 2147483647 &
	wait $!
done
`

func pauseLayer() layerSpec {
	return layerSpec{
		createdBy: "COPY pause /pause # skiff testimage pause stand-in",
		entries:   []entry{file("pause", 0o755, pauseScript)},
	}
}
