package loopback

import "testing"

func TestAddress(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:9464": true, "127.0.0.2:1": true, "[::1]:9464": true, "localhost:9464": true, "LocalHost:1": true,
		":9464": false, "0.0.0.0:9464": false, "[::]:9464": false, "10.0.0.1:9464": false, "example.com:9464": false, "127.0.0.1": false, "": false,
	} {
		if got := Address(addr); got != want {
			t.Errorf("Address(%q) = %v, want %v", addr, got, want)
		}
	}
}
