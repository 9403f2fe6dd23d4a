package config

import (
	"net/url"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/internal/yamlx"
)

// apiState remembers which status_api keys were given.
type apiState struct {
	node             *yaml.Node // the status_api mapping
	userSet, passSet bool
}

func (d *decoder) statusAPI(n *yaml.Node, path string, in *Instance, st *apiState) {
	st.node = n
	d.Object(n, path, yamlx.Fields{
		"username": func(x *yaml.Node, p string) {
			s, ok := d.Str(x, p)
			if !ok {
				return
			}
			if s == "" {
				d.Errorf(x, p, "empty: want the SQL user that logs in to the HTTP API, or leave username out to use sql_url's")
				return
			}
			in.APIUser, st.userSet = s, true
		},
		"password": func(x *yaml.Node, p string) {
			// Not trimmed, and never quoted in a message: it is a secret.
			if s, ok := d.Scalar(x, p, true); ok {
				in.APIPassword, st.passSet = s, true
			}
		},
	})
}

// finishAPI applies the status API login's defaults: the SQL user, and its
// password only for that same user.
func (d *decoder) finishAPI(in *Instance, st *apiState, path string) {
	sqlUser, sqlPass := sqlURLCredentials(in.SQLURL)
	if !st.userSet {
		in.APIUser = sqlUser
	}
	if !st.passSet && in.APIUser == sqlUser {
		in.APIPassword = sqlPass
	}
	if st.passSet && in.APIUser == "" {
		d.Errorf(st.node, yamlx.KeyPath(path, "status_api"), "password without username, and sql_url names no user: give username")
	}
}

// sqlURLCredentials returns the user and password a (validated) sql_url
// connects with; query parameters win over the user info, as in pgx.
func sqlURLCredentials(raw string) (user, password string) {
	if raw == "" {
		return "", ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", ""
	}
	user = u.User.Username()
	password, _ = u.User.Password()
	q := u.Query()
	if q.Has("user") {
		user = q.Get("user")
	}
	if q.Has("password") {
		password = q.Get("password")
	}
	return user, password
}
