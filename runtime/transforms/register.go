package transforms

import "github.com/sluicehq/sluice/connect"

func init() {
	keyValue := func(simple string, mk func(side) connect.Transformation) {
		for _, s := range []side{onKey, onValue} {
			s := s
			connect.Register(connect.Plugin{
				Class: classPrefix + simple + s.suffix(),
				Type:  connect.PluginTransformation,
				New:   func() any { return mk(s) },
			})
		}
	}
	keyValue("InsertField", func(s side) connect.Transformation { return &insertField{side: s} })
	keyValue("ReplaceField", func(s side) connect.Transformation { return &replaceField{side: s} })
	keyValue("MaskField", func(s side) connect.Transformation { return &maskField{side: s} })
	keyValue("ExtractField", func(s side) connect.Transformation { return &extractField{side: s} })
	keyValue("HoistField", func(s side) connect.Transformation { return &hoistField{side: s} })
	keyValue("Cast", func(s side) connect.Transformation { return &cast{side: s} })
	keyValue("TimestampConverter", func(s side) connect.Transformation { return &timestampConverter{side: s} })
	keyValue("Flatten", func(s side) connect.Transformation { return &flatten{side: s} })
	keyValue("HeaderFrom", func(s side) connect.Transformation { return &headerFrom{side: s} })
	keyValue("SetSchemaMetadata", func(s side) connect.Transformation { return &setSchemaMetadata{side: s} })

	single := func(simple string, mk func() connect.Transformation) {
		connect.Register(connect.Plugin{Class: classPrefix + simple, Type: connect.PluginTransformation, New: func() any { return mk() }})
	}
	single("ValueToKey", func() connect.Transformation { return &valueToKey{} })
	single("RegexRouter", func() connect.Transformation { return &regexRouter{} })
	single("TimestampRouter", func() connect.Transformation { return &timestampRouter{} })
	single("Filter", func() connect.Transformation { return filter{} })
	single("InsertHeader", func() connect.Transformation { return &insertHeader{} })
	single("DropHeaders", func() connect.Transformation { return &dropHeaders{} })

	connect.Register(connect.Plugin{
		Class:   UnwrapClass,
		Type:    connect.PluginTransformation,
		Aliases: []string{DebeziumUnwrapClass},
		New:     func() any { return &extractNewRecordState{} },
	})

	predicate := func(simple string, mk func() connect.Predicate) {
		connect.Register(connect.Plugin{Class: predicatePrefix + simple, Type: connect.PluginPredicate, New: func() any { return mk() }})
	}
	predicate("TopicNameMatches", func() connect.Predicate { return &topicNameMatches{} })
	predicate("HasHeaderKey", func() connect.Predicate { return &hasHeaderKey{} })
	predicate("RecordIsTombstone", func() connect.Predicate { return recordIsTombstone{} })
}
