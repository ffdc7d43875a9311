package podspec

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func ptr[T any](v T) *T { return &v }

func testPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u-1", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "c", Image: "busybox:1.36", TerminationMessagePath: "/dev/termination-log",
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			Ports:                    []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
		}}},
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "1", "B": "two"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	for in, want := range map[string]string{
		"plain":          "plain",
		"$(A)":           "1",
		"x$(A)y$(B)z":    "x1ytwoz",
		"$(C)":           "$(C)",
		"$$(A)":          "$(A)",
		"$$":             "$",
		"$A":             "$A",
		"end$":           "end$",
		"$(A":            "$(A",
		"$(A)$(unknown)": "1$(unknown)",
		"$()":            "$()",
	} {
		if got := Expand(in, lookup); got != want {
			t.Errorf("Expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCgroupParent(t *testing.T) {
	tests := []struct {
		root, driver string
		qos          corev1.PodQOSClass
		want         string
	}{
		{"/kubepods", CgroupfsDriver, corev1.PodQOSGuaranteed, "/kubepods/pod1-2"},
		{"/kubepods", CgroupfsDriver, corev1.PodQOSBurstable, "/kubepods/burstable/pod1-2"},
		{"kubepods", CgroupfsDriver, corev1.PodQOSBestEffort, "/kubepods/besteffort/pod1-2"},
		{"kubepods", SystemdDriver, corev1.PodQOSBurstable, "kubepods-burstable-pod1_2.slice"},
		{"kubepods.slice", SystemdDriver, corev1.PodQOSGuaranteed, "kubepods-pod1_2.slice"},
	}
	for _, tt := range tests {
		if got := CgroupParent(tt.root, tt.driver, tt.qos, "1-2"); got != tt.want {
			t.Errorf("CgroupParent(%q, %s, %s) = %q, want %q", tt.root, tt.driver, tt.qos, got, tt.want)
		}
	}
}

func TestDNS(t *testing.T) {
	host := ResolvConf{Nameservers: []string{"192.0.2.1"}, Searches: []string{"corp"}, Options: []string{"edns0"}}
	cluster := DNSOptions{ClusterDNS: []string{"10.96.0.10"}, ClusterDomain: "cluster.local", Host: host}
	tests := []struct {
		name    string
		policy  corev1.DNSPolicy
		hostNet bool
		opts    DNSOptions
		config  *corev1.PodDNSConfig
		want    *runtimeapi.DNSConfig
	}{
		{name: "cluster first", policy: corev1.DNSClusterFirst, opts: cluster,
			want: &runtimeapi.DNSConfig{Servers: []string{"10.96.0.10"}, Searches: []string{"ns.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp"}, Options: []string{"ndots:5"}}},
		{name: "cluster first without cluster DNS is the host's", policy: corev1.DNSClusterFirst, opts: DNSOptions{Host: host},
			want: &runtimeapi.DNSConfig{Servers: []string{"192.0.2.1"}, Searches: []string{"corp"}, Options: []string{"edns0"}}},
		{name: "host network", policy: corev1.DNSClusterFirst, hostNet: true, opts: cluster,
			want: &runtimeapi.DNSConfig{Servers: []string{"192.0.2.1"}, Searches: []string{"corp"}, Options: []string{"edns0"}}},
		{name: "cluster first with host net", policy: corev1.DNSClusterFirstWithHostNet, hostNet: true, opts: cluster,
			want: &runtimeapi.DNSConfig{Servers: []string{"10.96.0.10"}, Searches: []string{"ns.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp"}, Options: []string{"ndots:5"}}},
		{name: "none with config", policy: corev1.DNSNone, opts: cluster,
			config: &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"a"}, Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr("2")}}},
			want:   &runtimeapi.DNSConfig{Servers: []string{"1.1.1.1"}, Searches: []string{"a"}, Options: []string{"ndots:2"}}},
		{name: "default merged, option replaced, servers capped", policy: corev1.DNSDefault, opts: cluster,
			config: &corev1.PodDNSConfig{Nameservers: []string{"192.0.2.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"}, Options: []corev1.PodDNSConfigOption{{Name: "edns0"}, {Name: "rotate"}}},
			want:   &runtimeapi.DNSConfig{Servers: []string{"192.0.2.1", "2.2.2.2", "3.3.3.3"}, Searches: []string{"corp"}, Options: []string{"edns0", "rotate"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			pod.Spec.DNSPolicy, pod.Spec.HostNetwork, pod.Spec.DNSConfig = tt.policy, tt.hostNet, tt.config
			got := DNS(pod, tt.opts)
			if !reflect.DeepEqual(got.Servers, tt.want.Servers) || !reflect.DeepEqual(got.Searches, tt.want.Searches) || !reflect.DeepEqual(got.Options, tt.want.Options) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseResolvConf(t *testing.T) {
	rc, err := ParseResolvConf(strings.NewReader("# comment\nnameserver 1.1.1.1\nnameserver 8.8.8.8 # x\nsearch a b\noptions ndots:2 edns0\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := ResolvConf{Nameservers: []string{"1.1.1.1", "8.8.8.8"}, Searches: []string{"a", "b"}, Options: []string{"ndots:2", "edns0"}}
	if !reflect.DeepEqual(rc, want) {
		t.Errorf("got %+v, want %+v", rc, want)
	}
}

func resources(req, lim map[corev1.ResourceName]string) corev1.ResourceRequirements {
	parse := func(m map[corev1.ResourceName]string) corev1.ResourceList {
		if m == nil {
			return nil
		}
		l := corev1.ResourceList{}
		for k, v := range m {
			l[k] = resource.MustParse(v)
		}
		return l
	}
	return corev1.ResourceRequirements{Requests: parse(req), Limits: parse(lim)}
}

func TestResources(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name string
		res  corev1.ResourceRequirements
		qos  corev1.PodQOSClass
		want *runtimeapi.LinuxContainerResources
	}{
		{"best effort", resources(nil, nil), corev1.PodQOSBestEffort,
			&runtimeapi.LinuxContainerResources{CpuShares: 2, OomScoreAdj: 1000}},
		{"request only", resources(map[corev1.ResourceName]string{"cpu": "250m", "memory": "1Gi"}, nil), corev1.PodQOSBurstable,
			&runtimeapi.LinuxContainerResources{CpuShares: 256, OomScoreAdj: 750}},
		{"limit only: shares from the limit", resources(nil, map[corev1.ResourceName]string{"cpu": "500m", "memory": "128Mi"}), corev1.PodQOSBurstable,
			&runtimeapi.LinuxContainerResources{CpuShares: 512, CpuPeriod: 100000, CpuQuota: 50000, MemoryLimitInBytes: 128 << 20, OomScoreAdj: 999}},
		{"guaranteed", resources(map[corev1.ResourceName]string{"cpu": "2", "memory": "1Gi"}, map[corev1.ResourceName]string{"cpu": "2", "memory": "1Gi"}), corev1.PodQOSGuaranteed,
			&runtimeapi.LinuxContainerResources{CpuShares: 2048, CpuPeriod: 100000, CpuQuota: 200000, MemoryLimitInBytes: gib, OomScoreAdj: -997}},
		{"tiny limit: minimum quota", resources(map[corev1.ResourceName]string{"cpu": "1m"}, map[corev1.ResourceName]string{"cpu": "1m"}), corev1.PodQOSBurstable,
			&runtimeapi.LinuxContainerResources{CpuShares: 2, CpuPeriod: 100000, CpuQuota: 1000, OomScoreAdj: 999}},
		{"big request: adj at least 2", resources(map[corev1.ResourceName]string{"memory": "4Gi"}, nil), corev1.PodQOSBurstable,
			&runtimeapi.LinuxContainerResources{CpuShares: 2, OomScoreAdj: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &corev1.Container{Resources: tt.res}
			got := Resources(testPod(), c, tt.qos, 4*gib)
			if got.String() != tt.want.String() {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestSecurity(t *testing.T) {
	tests := []struct {
		name    string
		pod     *corev1.PodSecurityContext
		ctr     *corev1.SecurityContext
		image   ImageUser
		check   func(*runtimeapi.LinuxContainerSecurityContext) bool
		wantErr bool
	}{
		{name: "defaults: unconfined, no user", check: func(sc *runtimeapi.LinuxContainerSecurityContext) bool {
			return sc.RunAsUser == nil && sc.Seccomp.ProfileType == runtimeapi.SecurityProfile_Unconfined && !sc.NoNewPrivs
		}},
		{name: "container overrides pod", pod: &corev1.PodSecurityContext{RunAsUser: ptr(int64(1000)), RunAsGroup: ptr(int64(1000)), FSGroup: ptr(int64(2000)), SupplementalGroups: []int64{5}},
			ctr: &corev1.SecurityContext{RunAsUser: ptr(int64(1001)), AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}, Drop: []corev1.Capability{"ALL"}}},
			check: func(sc *runtimeapi.LinuxContainerSecurityContext) bool {
				return sc.RunAsUser.Value == 1001 && sc.RunAsGroup.Value == 1000 && reflect.DeepEqual(sc.SupplementalGroups, []int64{5, 2000}) &&
					sc.NoNewPrivs && sc.ReadonlyRootfs && sc.Capabilities.AddCapabilities[0] == "NET_ADMIN" && sc.Capabilities.DropCapabilities[0] == "ALL"
			}},
		{name: "runtime default seccomp from the pod", pod: &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			check: func(sc *runtimeapi.LinuxContainerSecurityContext) bool {
				return sc.Seccomp.ProfileType == runtimeapi.SecurityProfile_RuntimeDefault
			}},
		{name: "non-root with uid 0", ctr: &corev1.SecurityContext{RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(0))}, wantErr: true},
		{name: "non-root, image root", pod: &corev1.PodSecurityContext{RunAsNonRoot: ptr(true)}, image: ImageUser{UID: ptr(int64(0))}, wantErr: true},
		{name: "non-root, image user by name", pod: &corev1.PodSecurityContext{RunAsNonRoot: ptr(true)}, image: ImageUser{Username: "nobody"}, wantErr: true},
		{name: "non-root, image uid 65534", pod: &corev1.PodSecurityContext{RunAsNonRoot: ptr(true)}, image: ImageUser{UID: ptr(int64(65534))},
			check: func(*runtimeapi.LinuxContainerSecurityContext) bool { return true }},
		{name: "privileged keeps privileges", ctr: &corev1.SecurityContext{Privileged: ptr(true), AllowPrivilegeEscalation: ptr(false)},
			check: func(sc *runtimeapi.LinuxContainerSecurityContext) bool { return sc.Privileged && !sc.NoNewPrivs }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			pod.Spec.SecurityContext = tt.pod
			c := pod.Spec.Containers[0]
			c.SecurityContext = tt.ctr
			sc, err := security(pod, &c, tt.image)
			if tt.wantErr {
				if !errors.Is(err, ErrNonRoot) {
					t.Fatalf("err = %v, want ErrNonRoot", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(sc) {
				t.Errorf("unexpected %v", sc)
			}
		})
	}
}

func TestSandbox(t *testing.T) {
	pod := testPod()
	pod.Name = strings.Repeat("a", 62) + "-bcd"
	pod.Spec.ShareProcessNamespace = ptr(true)
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "net.ipv4.ip_unprivileged_port_start", Value: "0"}}}
	cfg, err := Sandbox(pod, SandboxOptions{Attempt: 2, LogRoot: "/logs", CgroupParent: "/kubepods/besteffort/podu-1"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hostname != strings.Repeat("a", 62) {
		t.Errorf("hostname %q: the name cut to 63 characters without the trailing dash", cfg.Hostname)
	}
	if cfg.LogDirectory != "/logs/ns_"+pod.Name+"_u-1" || cfg.Metadata.Attempt != 2 || cfg.Metadata.Uid != "u-1" {
		t.Errorf("log dir %q, metadata %v", cfg.LogDirectory, cfg.Metadata)
	}
	if cfg.Labels[LabelPodUID] != "u-1" || cfg.Labels["app"] != "web" || pod.Labels[LabelPodUID] != "" {
		t.Errorf("labels %v (the pod's labels must stay untouched: %v)", cfg.Labels, pod.Labels)
	}
	if len(cfg.PortMappings) != 1 || cfg.PortMappings[0].HostPort != 8080 {
		t.Errorf("port mappings %v: only host ports", cfg.PortMappings)
	}
	ns := cfg.Linux.SecurityContext.NamespaceOptions
	if ns.Pid != runtimeapi.NamespaceMode_POD || ns.Network != runtimeapi.NamespaceMode_POD {
		t.Errorf("namespaces %v", ns)
	}
	if cfg.Linux.Sysctls["net.ipv4.ip_unprivileged_port_start"] != "0" || cfg.Linux.CgroupParent != "/kubepods/besteffort/podu-1" {
		t.Errorf("linux %v", cfg.Linux)
	}

	pod.Spec.HostNetwork = true
	cfg, _ = Sandbox(pod, SandboxOptions{})
	if cfg.Hostname != "" || cfg.Linux.SecurityContext.NamespaceOptions.Network != runtimeapi.NamespaceMode_NODE {
		t.Errorf("host network pod: hostname %q, namespaces %v", cfg.Hostname, cfg.Linux.SecurityContext.NamespaceOptions)
	}
}

func TestHostnameFQDN(t *testing.T) {
	pod := testPod()
	pod.Spec.Hostname, pod.Spec.Subdomain, pod.Spec.SetHostnameAsFQDN = "h", "sub", ptr(true)
	if got, err := Hostname(pod, "cluster.local"); err != nil || got != "h.sub.ns.svc.cluster.local" {
		t.Errorf("got %q, %v", got, err)
	}
	pod.Spec.Hostname = strings.Repeat("h", 50)
	if _, err := Hostname(pod, "cluster.local"); err == nil {
		t.Error("an FQDN over 64 characters must fail")
	}
}

func TestContainerConfigAndLabelsRoundTrip(t *testing.T) {
	pod := testPod()
	pod.Spec.TerminationGracePeriodSeconds = ptr(int64(7))
	c := &pod.Spec.Containers[0]
	c.Command = []string{"sh", "-c", "echo $(GREETING) $(MISSING)"}
	c.Args = []string{"$$(GREETING)"}
	c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}
	cfg, err := Container(pod, c, ContainerOptions{RestartCount: 3, Image: "sha256:abc", Env: []EnvVar{{"GREETING", "hi"}}, QOS: corev1.PodQOSBestEffort})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Command[2]; got != "echo hi $(MISSING)" || cfg.Args[0] != "$(GREETING)" {
		t.Errorf("command %q args %q", cfg.Command, cfg.Args)
	}
	if cfg.LogPath != "c/3.log" || cfg.Metadata.Attempt != 3 || cfg.Image.Image != "sha256:abc" || cfg.Image.UserSpecifiedImage != "busybox:1.36" {
		t.Errorf("config %v", cfg)
	}
	if string(cfg.Envs[0].Value) != "hi" {
		t.Errorf("env %v", cfg.Envs)
	}
	info := ParseContainer(cfg.Labels, cfg.Annotations)
	want := ContainerInfo{PodUID: "u-1", PodName: "web", PodNamespace: "ns", Name: "c", Hash: Hash(c), RestartCount: 3,
		TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		TerminationGrace: ptr(int64(7)), PreStop: c.Lifecycle.PreStop}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", info, want)
	}
}

func TestHash(t *testing.T) {
	a := corev1.Container{Name: "c", Image: "busybox:1.36"}
	b := a
	b.Env = []corev1.EnvVar{{Name: "X", Value: "y"}}
	if Hash(&a) != Hash(&b) {
		t.Error("the hash covers only the name and the image")
	}
	b.Image = "busybox:1.37"
	if Hash(&a) == Hash(&b) {
		t.Error("a new image must change the hash")
	}
}
