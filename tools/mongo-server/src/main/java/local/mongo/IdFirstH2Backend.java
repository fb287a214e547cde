package local.mongo;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * mongo-java-server's H2 file backend (`npm start`) with {@link IdFirst}'s rule. The collections
 * open the same H2 maps the library's own H2Database opens ("databases." and "meta." + the
 * collection's namespace), so a store written by either reads the same.
 */
final class IdFirstH2Backend extends H2Backend {
  IdFirstH2Backend(String file) {
    super(file);
  }

  @Override
  protected MongoDatabase openOrCreateDatabase(String databaseName) {
    return new IdFirstDatabase(databaseName, getMvStore(), getCursorRegistry());
  }

  // An inner class: H2Database's constructor opens the existing collections (through
  // openOrCreateCollection below) before any field of a subclass is set, but an inner class's
  // link to its backend is set first, so the store and cursors come from there.
  private final class IdFirstDatabase extends H2Database {
    IdFirstDatabase(String name, MVStore store, CursorRegistry cursors) {
      super(name, store, cursors);
    }

    @Override
    protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
      String namespace = getFullCollectionNamespace(collectionName);
      MVStore store = getMvStore();
      MVMap<Object, Document> data = store.openMap("databases." + namespace);
      MVMap<String, Object> meta = store.openMap("meta." + namespace);
      return new IdFirstCollection(this, collectionName, options, data, meta, getCursorRegistry());
    }
  }

  private static final class IdFirstCollection extends H2Collection {
    IdFirstCollection(MongoDatabase database, String name, CollectionOptions options, MVMap<Object, Document> data, MVMap<String, Object> meta, CursorRegistry cursors) {
      super(database, name, options, data, meta, cursors);
    }

    @Override
    protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
      return IdFirst.query(super::queryDocuments, this::matchDocumentsFromStream, query, orderBy, skip, limit, batchSize, fieldSelector);
    }
  }
}
