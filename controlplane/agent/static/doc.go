// Package static runs pods from manifest files, as kubelet's static pods:
// every *.yaml, *.yml and *.json file of a directory holds one Pod, which
// the agent runs on its own node under the name <name>-<node>, with a UID
// derived from the manifest (a changed manifest is a new pod) and the
// kubernetes.io/config.source and config.hash annotations.
//
// The API server does not own static pods; it shows them as mirror pods
// the agent creates: same name and spec, annotation
// kubernetes.io/config.mirror = the config hash, owned by the Node. A
// mirror pod that is deleted or outdated is replaced; one whose static
// pod is gone is deleted.
package static
