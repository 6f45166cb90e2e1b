# Wire and storage format of table data: values, rows, change records and record batches.
# A batch of thousands of records is read in place (no per-record allocation): readers walk the
# lists directly. Rows are lists of values in the table's column order.
@0xdae5dbcac8436a24;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::wire");

struct Value {
  union {
    null @0 :Void;
    boolean @1 :Bool;
    bigint @2 :Int64;
    double @3 :Float64;
    string @4 :Text;
    timestamp @5 :Int64;  # microseconds since the epoch, UTC
  }
}

enum Op {
  put @0;      # insert or overwrite the whole row
  update @1;   # change some columns of a row
  delete @2;
}

# One change of one row, as the tunnel delivers it. The images are rows in the store's own
# encoding (runtime/core/row_codec.hpp: a tagged cell per column), a third of the size of a
# List(Value) and read in place. The primary key is the key columns of `after` (of `before` for
# a delete); it is not stored a third time.
struct ChangeRecord {
  op @0 :Op;
  before @1 :Data;  # the row before the change; absent (null) for a new row
  after @2 :Data;   # the row after the change; absent (null) for a delete
}

# The records one write batch appended to one channel: offsets firstOffset .. firstOffset+n-1.
# This is how the store keeps a channel's log, one segment per write batch and channel.
struct ChangeSegment {
  channel @0 :UInt32;
  firstOffset @1 :UInt64;
  records @2 :List(ChangeRecord);
}

