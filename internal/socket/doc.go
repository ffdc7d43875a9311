// Package socket opens the unix socket a daemon serves on, guarded by a
// lock file so that a second daemon refuses to take over a live one's
// socket while a stale socket left by a crash is replaced.
package socket
