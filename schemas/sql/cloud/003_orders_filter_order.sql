-- The customer and product filters of the orders page read their index in the page's
-- full order (created_at, machine_id, order_id), so a page is an index range scan that
-- stops after `limit` rows instead of sorting every order of that customer or product.
CREATE INDEX orders_by_customer_page ON orders (user_name, created_at DESC, machine_id DESC,
                                                order_id DESC);
CREATE INDEX orders_by_product_page ON orders (product_id, created_at DESC, machine_id DESC,
                                               order_id DESC);
DROP INDEX orders_by_customer;
DROP INDEX orders_by_product;
