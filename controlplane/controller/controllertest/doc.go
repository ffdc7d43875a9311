// Package controllertest holds what the controllers' tests share: a fake
// event recorder, and the service "web" with its pods that the endpoints
// and endpointslice controllers are tested on.
package controllertest
