package local.mongo;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;

/** mongo-java-server's memory backend (tests, benchmarks) with {@link IdFirst}'s rule. */
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
      return IdFirst.query(super::queryDocuments, this::matchDocumentsFromStream, query, orderBy, skip, limit, batchSize, fieldSelector);
    }
  }
}
