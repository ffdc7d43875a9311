// Package podspec translates a v1.Pod into the CRI configs the node agent
// sends to skiffd, as kubelet's kuberuntime builds them: the sandbox
// config (metadata, hostname, log directory, DNS, port mappings, labels
// and annotations, cgroup parent per QoS class, namespaces), and each
// container's config (image, command and args with $(VAR) expansion,
// env, mounts, log path, resources, security context).
//
// Everything here is pure: the inputs the agent gathers (resolved env,
// volume paths, the image's user, node capacity) come in as arguments, so
// that every rule is table-tested without a runtime. The labels and
// annotations the agent reads back from CRI objects (pod UID, container
// name, hash, restart count …) are defined here, on both sides.
package podspec
