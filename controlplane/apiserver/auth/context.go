package auth

import "context"

type userKey struct{}

// WithUser returns ctx carrying the request's authenticated user, for the
// checks after authorization (admission).
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the user WithUser put in ctx, or nil (the server's own
// writes, such as bootstrap objects).
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}
