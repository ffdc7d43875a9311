// Package config holds skiffd's configuration: its defaults, the TOML file
// and drop-ins it is read from, the flags that override them, and the
// checks that stop start-up on an unknown key or a bad value.
//
// Precedence, lowest first: built-in defaults, the main file, each drop-in
// in lexical order, then command-line flags. A later source replaces whole
// values; tables such as [registry.mirrors] merge key by key.
package config
