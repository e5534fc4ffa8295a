package connect

import "errors"

// RetriableError marks a failure that may succeed if tried again (Kafka's
// RetriableException): the runtime retries it within the configured window.
type RetriableError struct{ Err error }

func (e *RetriableError) Error() string { return e.Err.Error() }
func (e *RetriableError) Unwrap() error { return e.Err }

// Retriable wraps err as retriable.
func Retriable(err error) error {
	if err == nil {
		return nil
	}
	return &RetriableError{Err: err}
}

// IsRetriable reports whether err, or an error it wraps, is retriable.
func IsRetriable(err error) bool {
	var r *RetriableError
	return errors.As(err, &r)
}

// ErrNotFound is returned by registry lookups.
var ErrNotFound = errors.New("not found")
