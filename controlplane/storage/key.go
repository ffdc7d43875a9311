package storage

import (
	"path"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// Key returns the etcd key of an object, relative to the Store's prefix:
// <group>/<resource>/<namespace>/<name>, with "core" as no group's name
// and no namespace segment for cluster-scoped objects. An empty name gives
// the prefix holding them all (with a trailing slash).
func Key(group, resource, namespace, name string) string {
	if group == "" {
		group = "core"
	}
	k := path.Join(group, resource, namespace, name)
	if name == "" {
		k += "/"
	}
	return k
}

// ParseRevision parses a resourceVersion; "" and "0" are 0.
func ParseRevision(rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	return strconv.ParseInt(rv, 10, 64)
}

// setRevision sets obj's resourceVersion.
func setRevision(obj runtime.Object, rev int64) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	m.SetResourceVersion(strconv.FormatInt(rev, 10))
	return nil
}
