package local.mongo;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import java.util.List;

/**
 * mongo-java-server's memory backend, except that a filter naming one plain `_id` value plus other
 * conditions ({_id, status: 'PENDING'}: every conditional single-document write of the services)
 * reads that one document through the _id index and checks the whole filter on it. The library
 * uses an index only for a filter of exactly its keys, so each such write scanned the collection
 * and the pipeline slowed down as collections grew. MongoDB serves these filters by _id as well;
 * what matches is unchanged (the whole filter is still evaluated by the library's matcher).
 */
final class IdFirstMemoryBackend extends MemoryBackend {
  @Override
  public MemoryDatabase openOrCreateDatabase(String databaseName) {
    return new IdFirstDatabase(databaseName, getCursorRegistry());
  }

  private static final class IdFirstDatabase extends MemoryDatabase {
    private final CursorRegistry cursors;

    IdFirstDatabase(String name, CursorRegistry cursors) {
      super(name, cursors);
      this.cursors = cursors;
    }

    @Override
    protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
      return new IdFirstCollection(this, collectionName, options, cursors);
    }
  }

  private static final class IdFirstCollection extends MemoryCollection {
    IdFirstCollection(MongoDatabase database, String name, CollectionOptions options, CursorRegistry cursors) {
      super(database, name, options, cursors);
    }

    @Override
    protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
      Object id = query.get("_id");
      if (query.size() < 2 || !isPlainValue(id)) return super.queryDocuments(query, orderBy, skip, limit, batchSize, fieldSelector);
      // A filter of exactly {_id} is the one the library serves by the _id index.
      List<Document> candidate = super.queryDocuments(new Document("_id", id), null, 0, 0, 0, null).collectDocuments();
      return matchDocumentsFromStream(candidate.stream(), query, orderBy, skip, limit, batchSize, fieldSelector);
    }

    /** A value the _id index can look up as is: not an operator document, a regex, a list or null. */
    private static boolean isPlainValue(Object id) {
      return id instanceof String || id instanceof Number || id instanceof java.util.UUID || id instanceof de.bwaldvogel.mongo.bson.ObjectId;
    }
  }
}
