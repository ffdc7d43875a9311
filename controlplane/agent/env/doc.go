// Package env resolves what a container's environment and the downward
// API refer to: env values with $(VAR) references, valueFrom (fieldRef,
// resourceFieldRef, configMapKeyRef, secretKeyRef) and envFrom, with
// kubelet's rules for optional references and invalid keys. ConfigMaps
// and Secrets come through a small interface, so the rules are tested
// with a fake.
package env
