# Durable metadata of the store: table definitions and tunnels.
@0xf8c107a4ebd818e9;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::wire");

enum ColumnType {
  string @0;
  bigint @1;
  double @2;
  boolean @3;
  timestamp @4;  # microseconds since the epoch, UTC
}

struct Column {
  name @0 :Text;
  type @1 :ColumnType;
}

struct TableDef {
  id @0 :UInt32;              # never reused: a table dropped and created again gets a new id
  name @1 :Text;
  columns @2 :List(Column);   # in declared order
  primaryKey @3 :List(UInt16);  # column indexes, in key order
  channels @4 :UInt32;
}

enum TunnelType {
  stream @0;         # changes from where the tunnel starts
  base @1;           # a consistent snapshot of the table
  baseAndStream @2;  # the snapshot, then the changes after it
}

struct TunnelDef {
  id @0 :Text;
  name @1 :Text;
  type @2 :TunnelType;
  startOffsets @3 :List(UInt64);      # per channel: where the stream part begins
  committedOffsets @4 :List(UInt64);  # per channel: everything below is consumed
  createdMs @5 :Int64;
}
