package filestream

import "strings"

// ExactlyOnceSupport is Kafka's FileStreamSourceConnector answer: a file's
// byte positions are exact resume points; stdin has none.
func (c *Connector) ExactlyOnceSupport(props map[string]string) bool {
	return strings.TrimSpace(props[FileConfig]) != ""
}
