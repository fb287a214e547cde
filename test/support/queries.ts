/** The storefront query from issue 2: one order, answered by all four subgraphs. */
export const ORDER_QUERY = `query Order($id: ID!) {
  order(id: $id) {
    id status amountCents currency
    customer { id email }
    lines { quantity unitPriceCents product { id name } }
    payment { id status }
  }
}`;
