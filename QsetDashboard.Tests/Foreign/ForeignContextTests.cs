using Microsoft.EntityFrameworkCore;
using Qset.Caching;
using QsetDashboard.Styles;
using QsetDashboard.Tests.Infrastructure;
using QsetDashboard.Tests.Redis;

namespace QsetDashboard.Tests.Foreign;

/// <summary>The engine in a DbContext it was not written for, wired only through the public surface.</summary>
public sealed class ForeignContextTests
{
    private static readonly Guid s_lamp = Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301");

    private static async Task<ShopHost> StartWithRowsAsync()
    {
        var host = await ShopHost.StartAsync();
        await using var db = host.NewContext();
        db.Products.Add(new Product { Id = s_lamp, Name = "Lamp", Price = 20m });
        db.OrderLines.AddRange(new OrderLine { OrderId = 7, LineNo = 1, Quantity = 1 }, new OrderLine { OrderId = 7, LineNo = 2, Quantity = 5 });
        db.Coupons.Add(new Coupon { Code = "A,B%", Percent = 10 });
        db.Customers.Add(new Customer { Id = 1L << 40, Name = "Carol", Address = new Address { City = "Oslo" } });
        db.Users.Add(new Accounts.User { Id = 1, Email = "shop@example.com" });
        await db.SaveChangesAsync();
        return host;
    }

    [Fact]
    public async Task FindAsync_ByGuid_MissesThenHits_UnderAKeyWithTheContextsPrefix()
    {
        await using var host = await StartWithRowsAsync();

        var first = await host.Entities.ReadAsync<Product>([s_lamp]);
        var second = await host.Entities.ReadAsync<Product>([s_lamp]);

        Assert.False(first.Hit);
        Assert.True(second.Hit);
        Assert.Equal("Lamp", second.Value!.Name);
        Assert.Equal($"ShopDb:Product.{s_lamp}", host.Entities.KeyOf<Product>(s_lamp));
        Assert.NotNull(await host.Cache.Store.PeekAsync($"ShopDb:Product.{s_lamp}"));
    }

    [Fact]
    public async Task FindAsync_ByCompositeKey_FindsTheLine_AndEscapesSeparatorsInStringKeys()
    {
        await using var host = await StartWithRowsAsync();

        var line = await host.Entities.FindAsync<OrderLine>(7, 2);
        var coupon = await host.Entities.FindAsync<Coupon>("A,B%");
        var customer = await host.Entities.FindAsync<Customer>(1L << 40);

        Assert.Equal(5, line!.Quantity);
        Assert.Equal(10, coupon!.Percent);
        Assert.Equal("Oslo", customer!.Address.City);
        Assert.Equal("ShopDb:OrderLine.7,2", host.Entities.KeyOf<OrderLine>(7, 2));
        Assert.Equal("ShopDb:Coupon.A,B%", host.Entities.KeyOf<Coupon>("A,B%"));
        Assert.NotNull(await host.Cache.Store.PeekAsync("ShopDb:OrderLine.7,2"));
    }

    [Fact]
    public async Task FindAsync_ChecksKeyValuesAsDbContextFindDoes()
    {
        await using var host = await StartWithRowsAsync();

        Assert.Null(await host.Entities.FindAsync<Product>(Guid.NewGuid()));
        Assert.Null(await host.Entities.FindAsync<Product>([null]));
        var arity = await Assert.ThrowsAsync<ArgumentException>(async () => await host.Entities.FindAsync<OrderLine>(7));
        var type = await Assert.ThrowsAsync<ArgumentException>(async () => await host.Entities.FindAsync<OrderLine>(7L, 2));
        var notEntity = await Assert.ThrowsAsync<InvalidOperationException>(async () => await host.Entities.FindAsync<Address>(1));

        Assert.Contains("2 value(s)", arity.Message, StringComparison.Ordinal);
        Assert.Contains("Int64", type.Message, StringComparison.Ordinal);
        Assert.Contains("Address", notEntity.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveChanges_OnAForeignEntity_InvalidatesItsKey_AfterCommit()
    {
        await using var host = await StartWithRowsAsync();
        await host.Entities.FindAsync<Product>(s_lamp);
        await host.Entities.FindAsync<OrderLine>(7, 2);

        await using (var db = host.NewContext())
        {
            (await db.Products.SingleAsync(p => p.Id == s_lamp)).Name = "Desk lamp";
            (await db.OrderLines.SingleAsync(l => l.OrderId == 7 && l.LineNo == 2)).Quantity = 6;
            await db.SaveChangesAsync();
        }

        var product = await host.Entities.ReadAsync<Product>([s_lamp]);
        var line = await host.Entities.ReadAsync<OrderLine>([7, 2]);
        Assert.False(product.Hit);
        Assert.Equal("Desk lamp", product.Value!.Name);
        Assert.False(line.Hit);
        Assert.Equal(6, line.Value!.Quantity);
    }

    [Fact]
    public async Task SaveChanges_OfAnOwnedValue_InvalidatesTheOwnersKey()
    {
        await using var host = await StartWithRowsAsync();
        await host.Entities.FindAsync<Customer>(1L << 40);

        await using (var db = host.NewContext())
        {
            (await db.Customers.SingleAsync()).Address.City = "Bergen";
            await db.SaveChangesAsync();
        }

        var customer = await host.Entities.ReadAsync<Customer>([1L << 40]);
        Assert.False(customer.Hit);
        Assert.Equal("Bergen", customer.Value!.Address.City);
    }

    [Fact]
    public async Task SaveChanges_OfADerivedEntity_InvalidatesTheKeyOfItsRoot()
    {
        await using var host = await StartWithRowsAsync();
        await using (var db = host.NewContext())
        {
            db.Pets.Add(new Dog { Id = 5, Name = "Rex", Fetches = false });
            await db.SaveChangesAsync();
        }

        var first = await host.Entities.FindAsync<Pet>(5);
        Assert.Equal("ShopDb:Pet.5", host.Entities.KeyOf<Dog>(5));
        await using (var db = host.NewContext())
        {
            var dog = await db.Set<Dog>().SingleAsync(d => d.Id == 5);
            dog.Name = "Rex II";
            dog.Fetches = true;
            await db.SaveChangesAsync();
        }

        var read = await host.Entities.ReadAsync<Pet>([5]);
        Assert.IsType<Dog>(first);
        Assert.False(read.Hit);
        Assert.Equal("Rex II", read.Value!.Name);
        Assert.True(Assert.IsType<Dog>(read.Value).Fetches);
    }

    [Fact]
    public async Task ExecuteUpdate_AndRawSql_InvalidateEveryCachedRowOfTheTable()
    {
        await using var host = await StartWithRowsAsync();
        await host.Entities.FindAsync<OrderLine>(7, 1);
        await host.Entities.FindAsync<OrderLine>(7, 2);
        await host.Entities.FindAsync<Product>(s_lamp);

        await using (var db = host.NewContext())
        {
            await db.OrderLines.Where(l => l.OrderId == 7).ExecuteUpdateAsync(s => s.SetProperty(l => l.Quantity, 9));
            await db.Database.ExecuteSqlRawAsync("UPDATE \"Products\" SET \"Name\" = 'Floor lamp'");
        }

        var first = await host.Entities.ReadAsync<OrderLine>([7, 1]);
        var second = await host.Entities.ReadAsync<OrderLine>([7, 2]);
        var product = await host.Entities.ReadAsync<Product>([s_lamp]);
        Assert.Equal((false, 9), (first.Hit, first.Value!.Quantity));
        Assert.Equal((false, 9), (second.Hit, second.Value!.Quantity));
        Assert.Equal((false, "Floor lamp"), (product.Hit, product.Value!.Name));
    }

    [Fact]
    public async Task TwoUserTypes_InTwoContexts_NeverShareAKey()
    {
        await using var host = await StartWithRowsAsync();
        await host.Get<GenericCache>().SetAsync(1, new QsetDashboard.Data.User { Name = "Sample Alice" });

        var sample = await host.Get<GenericCache>().GetAsync<QsetDashboard.Data.User>(1);
        var shop = await host.Entities.FindAsync<Accounts.User>(1);

        Assert.Equal("Sample Alice", sample!.Name);
        Assert.Equal("shop@example.com", shop!.Email);
        Assert.NotNull(await host.Cache.Store.PeekAsync("User.1"));
        Assert.NotNull(await host.Cache.Store.PeekAsync("ShopDb:User.1"));
        Assert.DoesNotContain(host.Events(), e => e.Kind == CacheEventKind.Clash);
    }

    [Fact]
    public async Task ACacheableQueryThatReadsNoTable_InTwoContexts_NeverSharesAKey()
    {
        await using var host = await StartWithRowsAsync();
        await using (var shop = host.NewContext())
        {
            Assert.Equal([7], await shop.Database.SqlQuery<int>($"SELECT 7 AS Value").Cacheable().ToListAsync());
        }

        await using (var sample = await host.Get<IDbContextFactory<QsetDashboard.Data.QsetsDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal([7], await sample.Database.SqlQuery<int>($"SELECT 7 AS Value").Cacheable().ToListAsync());
        }

        var populated = host.Events().Where(e => e.Kind == CacheEventKind.Populate && e.EntityType == "Query").Select(e => e.Key).ToList();
        Assert.Equal(2, populated.Count);
        Assert.All(populated, k => Assert.StartsWith("Query.none.", k, StringComparison.Ordinal));
        Assert.NotEqual(populated[0], populated[1]);
    }

    [Fact]
    public async Task Cacheable_OnAForeignContext_IsServedFromTheCache_UntilAWriteToItsTable()
    {
        await using var host = await StartWithRowsAsync();

        async Task<int> CountLinesAsync()
        {
            await using var db = host.NewContext();
            return await db.OrderLines.Where(l => l.OrderId == 7).Cacheable().CountAsync();
        }

        Assert.Equal(2, await CountLinesAsync());
        Assert.Equal(2, await CountLinesAsync());
        await using (var db = host.NewContext())
        {
            db.OrderLines.Add(new OrderLine { OrderId = 7, LineNo = 3, Quantity = 1 });
            await db.SaveChangesAsync();
        }

        Assert.Equal(3, await CountLinesAsync());
        var queryKeys = host.Events().Where(e => e.EntityType == "Query").Select(e => e.Key).Distinct().ToList();
        Assert.Contains(queryKeys, k => k.StartsWith("Query.ShopDb:OrderLine.", StringComparison.Ordinal));
        Assert.Contains(host.Events(), e => e.Kind == CacheEventKind.Hit && e.EntityType == "Query");
    }
}

/// <summary>A foreign entity through Redis: one node caches it, another reads it back as the same type.</summary>
[Collection(RedisCollection.Name)]
public sealed class ForeignContextRedisTests(RedisServer redis)
{
    [Theory]
    [InlineData("Redis")]
    [InlineData("Hybrid")]
    public async Task AProductCachedByOneNode_IsReadBackByAnother_AndAWriteReachesBoth(string backend)
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        void Configure(Dictionary<string, string?> s)
        {
            RedisCollection.Configure(s, redis, backend, prefix);
            foreach (var key in s.Keys.Where(k => k.StartsWith("Cache:", StringComparison.Ordinal)).ToList())
            {
                s["Qset:" + key["Cache:".Length..]] = s[key];
            }
        }

        await using var first = await ShopHost.StartAsync(Configure);
        await using var second = await ShopHost.StartAsync(Configure, first.ConnectionString);
        var id = Guid.NewGuid();
        await using (var db = first.NewContext())
        {
            db.Products.Add(new Product { Id = id, Name = "Chair", Price = 45.5m });
            await db.SaveChangesAsync();
        }

        await first.Entities.FindAsync<Product>(id);
        var read = await second.Entities.ReadAsync<Product>([id]);

        Assert.True(read.Hit, "the second node reads what the first cached");
        Assert.Equal(("Chair", 45.5m), (read.Value!.Name, read.Value.Price));

        await using (var db = second.NewContext())
        {
            (await db.Products.SingleAsync(p => p.Id == id)).Price = 50m;
            await db.SaveChangesAsync();
        }

        Assert.Equal(50m, (await first.Entities.FindAsync<Product>(id))!.Price);
        Assert.Equal(50m, (await second.Entities.FindAsync<Product>(id))!.Price);

        // A derived entity cached under its root's key reads back, on the other node, as what it is.
        await using (var db = first.NewContext())
        {
            db.Pets.Add(new Dog { Id = 9, Name = "Rex", Fetches = true });
            await db.SaveChangesAsync();
        }

        await first.Entities.FindAsync<Pet>(9);
        var pet = await second.Entities.ReadAsync<Pet>([9]);
        Assert.True(pet.Hit, "the second node reads the dog the first cached");
        Assert.True(Assert.IsType<Dog>(pet.Value).Fetches);
    }
}
