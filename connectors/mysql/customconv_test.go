package mysql

import (
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

func TestParseCustomConverters(t *testing.T) {
	const class = "io.debezium.connector.mysql.converters.TinyIntOneToBooleanConverter"
	rules, unknown, err := parseCustomConverters(map[string]string{
		KeyConverters: " boolean, dt ,flags", "boolean.type": class,
		"dt.type":    "com.example.DatetimeConverter",
		"flags.type": "io.debezium.connector.binlog.converters.TinyIntOneToBooleanConverter", "flags.selector": `shop\.t\.F.*, other\..*\.x`, "flags.length.checker": "FALSE",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].selector != nil || !rules[0].lengthCheck || rules[1].lengthCheck || len(rules[1].selector) != 2 {
		t.Fatalf("rules %+v", rules)
	}
	if strings.Join(unknown, " ") != "dt=com.example.DatetimeConverter" {
		t.Fatalf("unknown %v", unknown)
	}
	for props, key := range map[*map[string]string]string{
		{KeyConverters: "b"}: "b.type",
		{KeyConverters: "b", "b.type": class, "b.length.checker": "yes"}: "b.length.checker",
		{KeyConverters: "b", "b.type": class, "b.selector": "shop.(t"}:   "b.selector",
	} {
		_, _, err := parseCustomConverters(*props)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v: error %v does not name %s", *props, err, key)
		}
	}
}

func TestTinyIntBoolColumns(t *testing.T) {
	const class = "io.debezium.connector.mysql.converters.TinyIntOneToBooleanConverter"
	f := &Filters{}
	var err error
	id := TableID{DB: "shop", Table: "t"}
	tiny1 := &Column{Name: "Flag", BinlogType: gomysql.MYSQL_TYPE_TINY, Length: 3, FullType: "tinyint(1) unsigned"}
	tiny4 := &Column{Name: "level", BinlogType: gomysql.MYSQL_TYPE_TINY, Length: 3, FullType: "tinyint(4)"}
	small1 := &Column{Name: "s", BinlogType: gomysql.MYSQL_TYPE_SHORT, Length: 5, FullType: "smallint(1)"}
	if f.boolCols, _, err = parseCustomConverters(map[string]string{KeyConverters: "b", "b.type": class}); err != nil {
		t.Fatal(err)
	}
	if !f.tinyIntBool(id, tiny1) || f.tinyIntBool(id, tiny4) || f.tinyIntBool(id, small1) {
		t.Fatal("default rule: only TINYINT(1) converts")
	}
	if f.boolCols, _, err = parseCustomConverters(map[string]string{KeyConverters: "b", "b.type": class, "b.selector": `SHOP\.T\.level`, "b.length.checker": "false"}); err != nil {
		t.Fatal(err)
	}
	if f.tinyIntBool(id, tiny1) || !f.tinyIntBool(id, tiny4) {
		t.Fatal("selector: only shop.t.level converts (matched ignoring case)")
	}
	var none *Filters
	if none.tinyIntBool(id, tiny1) {
		t.Fatal("no filters, no conversion")
	}

	col := &Column{Name: "Flag", Position: 2, BinlogType: gomysql.MYSQL_TYPE_TINY, Length: 1, Nullable: true, DataType: "tinyint"}
	cc, err := newColumnConverter(col, DefaultTypeOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := cc.toBoolean(col); err != nil {
		t.Fatal(err)
	}
	if cc.schema.Type != connect.TypeBoolean || !cc.schema.Optional || cc.schema.Param(connect.ParamColumnType) != "tinyint" {
		t.Fatalf("schema %+v", cc.schema)
	}
	for in, want := range map[any]bool{int8(0): false, int8(1): true, int8(-1): true, int64(5): true, int16(0): false, true: true} {
		got, err := cc.convertIn(in, nil)
		if err != nil || got != want {
			t.Errorf("%T %v → %v, %v; want %v", in, in, got, err, want)
		}
	}
}

// /config/validate reports an error on a key the ConfigDef does not declare
// (a converter's class) instead of dropping it.
func TestValidateReportsConverterClassMissing(t *testing.T) {
	props := map[string]string{"connector.class": "MySqlConnector", "database.hostname": "h", "database.user": "u", "topic.prefix": "p",
		KeyConverters: "boolean"}
	var found bool
	for _, cv := range (&Connector{}).Validate(t.Context(), props) {
		if cv.Name == "boolean.type" {
			found = len(cv.Errors) == 1 && strings.Contains(cv.Errors[0], "boolean.type")
		}
	}
	if !found {
		t.Fatal("no error on boolean.type")
	}
}
