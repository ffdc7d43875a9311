// Package volume prepares a pod's volumes on the node, under one
// directory per pod laid out as kubelet's:
//
//	<root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<volume>
//	<root>/pods/<uid>/containers/<container>/<id>   termination message files
//
// emptyDir (on disk, or tmpfs for medium Memory), hostPath (with its type
// checks), and the projected kinds: configMap, secret, downwardAPI and
// projected (secret, configMap, downwardAPI and serviceAccountToken
// sources). Secret, downward-API and projected volumes live on tmpfs so
// that their contents never reach the disk.
//
// Projected contents are written atomically, with kubelet's scheme: the
// files go into a new hidden timestamped directory, the ..data symlink is
// swapped to it with one rename, and each visible name is a symlink
// through ..data. A reader sees either the old or the new set, never a
// mix, and an update rewrites nothing when the contents are unchanged.
//
// Setup is idempotent and runs on every sync of the pod, which is how
// ConfigMap and Secret changes reach running pods. Teardown unmounts and
// removes everything of a pod.
package volume
