# What travels between a remote store client and `sluice store` besides the store's own records
# (TableDef, TunnelDef): row batches to write, pages of scanned rows, catalog ops.
@0xcd68ac7828ed8f67;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::wire");

using Change = import "change.capnp";
using Catalog = import "catalog.capnp";

# A row batch of one table (one atomic write). Cells are row-major, `columns` per row; a cell
# that is not set (an update keeps the stored value) is not the same as NULL.
struct RowBatch {
  table @0 :Catalog.TableDef;  # the schema the writer holds: the store checks it is still live
  ops @1 :List(Change.Op);
  cells @2 :List(Change.Value);
  set @3 :List(Bool);
}

# Rows of a scan, row-major, the table's column count per row.
struct RowPage {
  cells @0 :List(Change.Value);
}

struct CatalogOp {
  kind @0 :Kind;
  enum Kind {
    createTable @0;
    dropTable @1;
    createTunnel @2;
    dropTunnel @3;
  }
  table @1 :Text;
  tunnel @2 :Text;                 # tunnel ops
  tunnelType @3 :Catalog.TunnelType;
  columns @4 :List(Catalog.Column);  # createTable
  primaryKey @5 :List(Text);
  channels @6 :UInt32;
  ifExistence @7 :Bool;            # IF NOT EXISTS (create), IF EXISTS (drop)
}

struct CatalogOps {
  ops @0 :List(CatalogOp);
}
