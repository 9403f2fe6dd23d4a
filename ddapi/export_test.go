package ddapi

import (
	"context"
	"time"
)

// SetSleep lets tests record the waits a client asks for.
func SetSleep(c *Client, f func(context.Context, time.Duration) error) { c.sleep = f }
