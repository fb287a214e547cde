package local.mongo;

import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The one rule both of our backends add to mongo-java-server: a filter naming one plain `_id`
 * value plus other conditions ({_id, status: 'PENDING'}: every conditional single-document write
 * of the services) reads that one document through the _id index and checks the whole filter on
 * it. The library uses an index only for a filter of exactly its keys, so each such write scanned
 * the collection and the services slowed down as collections grew. MongoDB serves these filters
 * by _id as well; what matches is unchanged (the library's matcher still evaluates the whole filter).
 */
final class IdFirst {
  private IdFirst() {}

  /** The collection's own query (AbstractMongoCollection.queryDocuments). */
  interface Query {
    QueryResult run(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector);
  }

  /** The collection's matcher over given documents (AbstractMongoCollection.matchDocumentsFromStream). */
  interface Match {
    QueryResult run(Stream<Document> documents, Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector);
  }

  static QueryResult query(Query own, Match match, Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
    Object id = query.get("_id");
    if (query.size() < 2 || !isPlainValue(id)) return own.run(query, orderBy, skip, limit, batchSize, fieldSelector);
    // A filter of exactly {_id} is the one the library serves by the _id index.
    List<Document> candidate = own.run(new Document("_id", id), null, 0, 0, 0, null).collectDocuments();
    return match.run(candidate.stream(), query, orderBy, skip, limit, batchSize, fieldSelector);
  }

  /** A value the _id index can look up as is: not an operator document, a regex, a list or null. */
  private static boolean isPlainValue(Object id) {
    return id instanceof String || id instanceof Number || id instanceof UUID || id instanceof ObjectId;
  }
}
