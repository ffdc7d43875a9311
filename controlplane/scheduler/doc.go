// Package scheduler binds pending pods to nodes. It is a client of the API
// server only: informers on pods and nodes feed a queue of pending pods,
// and one worker takes one pod at a time through
//
//	snapshot (nodes, their pods, the pods it has just bound) →
//	algorithm.Schedule (filters, scores) →
//	POST pods/<name>/binding, or the reasons why not
//
// A pod that fits nowhere stays Pending: its PodScheduled condition turns
// False (reason Unschedulable, upstream's "0/3 nodes are available: …"
// message) and a FailedScheduling event says the same. It waits among the
// unschedulable pods until the cluster changes in a way that may make
// room (a node added or changed, a bound pod deleted or finished), then
// comes back with a per-pod exponential back-off; at the latest it is
// tried again after five minutes.
//
// Pods it has bound are assumed on their node until the informer shows
// them bound, so that pods scheduled back to back never share the last
// slot of a node.
//
// Only pods with schedulerName default-scheduler and no spec.nodeName are
// its own. Run does the work while its context lasts, so that leader
// election can wrap it.
package scheduler
