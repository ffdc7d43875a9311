// Package pods holds what the controllers that run pods share: pod
// states as upstream counts them (active, terminating, ready, available
// after minReadySeconds), the order in which a controller that has too
// many pods deletes them, and Control, which creates and deletes a
// controller's pods through the API with the events kubectl describe
// shows (SuccessfulCreate, FailedCreate, SuccessfulDelete, FailedDelete).
package pods
