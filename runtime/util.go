package runtime

import (
	"errors"
	"os"
)

func as[T any](err error, target *T) bool { return errors.As(err, target) }

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}
